"""Load profile for bin/loadtest: attendants browsing fichas and starting/closing triages,
a manager on the console. A 422 is a business refusal shown to the user (counted as success);
anything else that is not 2xx/3xx is an error."""

import os
import random
import re

from locust import HttpUser, between, task

FICHAS = int(os.environ.get("LOAD_FICHAS", "1000"))
PRODUCT = os.environ.get("LOAD_PRODUCT", "1")
BITRIX = "https://webplanet.bitrix24.com.br/crm/deal/details/4821/"
NAMES = ["Silva", "Souza", "Oliveira", "Santos", "Lima", "Pereira"]


class Attendant(HttpUser):
    wait_time = between(0.2, 1.0)
    username = "ana"

    def on_start(self):
        self.client.get("/entrar/")
        self.client.post(
            "/entrar/",
            {"username": self.username, "password": "balcao123"},
            headers={"X-CSRFToken": self.client.cookies.get("csrftoken", "")},
        )

    def hx(self):
        return {"HX-Request": "true", "X-CSRFToken": self.client.cookies.get("csrftoken", "")}

    @task(4)
    def ficha_page(self):
        self.client.get(f"/fichas/{random.randint(1, FICHAS)}/", name="/fichas/[id]/")

    @task(2)
    def home(self):
        self.client.get("/", name="/ (início)")

    @task(2)
    def search(self):
        self.client.get(
            "/fichas/", params={"q": random.choice(NAMES)}, headers=self.hx(), name="/fichas/?q="
        )

    @task(1)
    def static(self):
        self.client.get("/static/web/app.css")

    @task(2)
    def triage_start_and_close(self):
        """Two transitions: the S8 triage starts (1º/2º passo decided), then is closed."""
        ficha = random.randint(1, FICHAS)
        with self.client.post(
            f"/fichas/{ficha}/atendimento/",
            {
                "product": PRODUCT,
                "channel": "chat",
                "text": "Cliente quer saber do produto",
                "bitrix_link": BITRIX,
                "boleto_alert_given": "on",
            },
            headers=self.hx(),
            name="POST iniciar atendimento",
            catch_response=True,
        ) as response:
            if response.status_code == 422:
                response.success()
                return
            found = re.search(r"/atendimentos/(\d+)/", response.headers.get("HX-Redirect", ""))
            if not found:
                response.failure(f"sem HX-Redirect ({response.status_code})")
                return
        with self.client.post(
            f"/atendimentos/{found.group(1)}/encerrar/",
            {"reason": "Cliente vai pensar e retorna depois"},
            headers=self.hx(),
            name="POST encerrar atendimento",
            catch_response=True,
        ) as response:
            if response.status_code == 422:
                response.success()  # e.g. handed to the owner first (S8): not ours to close


class Manager(Attendant):
    weight = 1
    username = "gabriel"

    @task(3)
    def console(self):
        self.client.get("/gestor/")


class Seller(Attendant):
    weight = 3
    username = "bruno"
