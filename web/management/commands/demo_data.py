"""Fill the database with realistic pt-BR demo data; running it again changes nothing."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from onboarding.demo import seed_demo as seed_onboarding
from onboarding.registration import ficha_onboard
from tickets.demo import seed as seed_support
from tickets.models import Ticket
from workflows import agendamentos, availability, clock, movimentacoes, orcamento, selling
from workflows.businessdays import seed_company_calendar
from workflows.engine import transition
from workflows.models import AgendamentoKind, Boleto, Ficha, Movimentacao, Product
from workflows.validators import cnpj_with_check_digits, cpf_with_check_digits

DEMO_PASSWORD = "balcao123"

USERS = [
    # username, first, last, roles, staff
    ("ana", "Ana", "Souza", ["agent", "seller"], False),
    ("bruno", "Bruno", "Lima", ["agent", "seller"], False),
    ("carla", "Carla", "Mendes", ["agent", "support"], False),
    ("diego", "Diego", "Araújo", ["support", "support_dev"], False),
    ("elisa", "Elisa", "Prado", ["agent", "central"], False),
    ("gabriel", "Gabriel", "Rocha", ["manager", "agent", "seller"], True),
]

PRODUCTS = [
    ("intimacao", "Intimação (monitoramento de publicações)", "assinatura", "89.90"),
    ("acompanhamento", "Acompanhamento processual", "assinatura", "129.90"),
    ("pesquisa", "Pesquisa processual", "pesquisa", "24.90"),
    ("advogado", "Advogado adicional", "advogado", "39.90"),
    ("estado", "Estado adicional", "estado", "29.90"),
    ("beneficiario", "Beneficiário", "beneficiário", "19.90"),
    ("integra", "Plano Integra", "assinatura", "349.00"),
]

# name, document base (9 digits = CPF, 12 letters-or-digits = CNPJ), e-mail, phone (E.164),
# OAB, products
CLIENTS = [
    (
        "Mariana Albuquerque Advocacia",
        "112223330001",
        "contato@albuquerque.adv.br",
        "+551133224455",
        "",
        ["intimacao", "acompanhamento"],
    ),
    (
        "Dr. Rafael Monteiro",
        "123456789",
        "rafael.monteiro@gmail.com",
        "+5511987651234",
        "SP 234.567",
        ["intimacao"],
    ),
    (
        "Dra. Juliana Castro",
        "987654321",
        "juliana.castro@outlook.com",
        "+5521998123456",
        "RJ 145.890",
        ["intimacao", "pesquisa"],
    ),
    (
        "Fonseca & Ribeiro Sociedade de Advogados",
        "443332220001",
        "financeiro@fonsecaribeiro.com.br",
        "+553132145678",
        "",
        ["integra"],
    ),
    (
        "Dr. Paulo Henrique Nogueira",
        "321654987",
        "paulo.nogueira@adv.oabsp.org.br",
        "+5511976543210",
        "SP 98.765",
        [],
    ),
    (
        "Dra. Beatriz Tavares",
        "456789123",
        "bia.tavares@yahoo.com.br",
        "+5541991234567",
        "PR 54.321",
        ["acompanhamento"],
    ),
    (
        "Cardoso Advogados Associados",
        "556667770001",
        "adm@cardosoadvogados.com.br",
        "+555133334444",
        "",
        ["intimacao", "advogado", "estado"],
    ),
    (
        "Dr. Lucas Fernandes",
        "741852963",
        "lucas.fernandes@gmail.com",
        "+5562984561237",
        "GO 33.210",
        ["intimacao"],
    ),
    (
        "Dra. Camila Rezende",
        "852963741",
        "camila.rezende@rezende.adv.br",
        "+5571987456321",
        "BA 61.004",
        ["intimacao", "beneficiario"],
    ),
    (
        "Pereira Lopes Advocacia Empresarial",
        "66ABC778PL01",  # an alphanumeric CNPJ (issued since July 2026): 66.ABC.778/PL01-95
        "ti@pereiralopes.com.br",
        "+551140028922",
        "",
        ["integra", "pesquisa"],
    ),
]

# document base → the holder's address: street line, district, city, UF, CEP (8 digits)
ADDRESSES = {
    "112223330001": ("Av. Paulista, 1578, conj. 52", "Bela Vista", "São Paulo", "SP", "01310200"),
    "123456789": ("Rua Augusta, 2690, sala 11", "Cerqueira César", "São Paulo", "SP", "01412100"),
    "987654321": ("Av. Rio Branco, 156, sala 1203", "Centro", "Rio de Janeiro", "RJ", "20040003"),
    "443332220001": (
        "Av. Afonso Pena, 1500, 8º andar",
        "Centro",
        "Belo Horizonte",
        "MG",
        "30130005",
    ),
    "321654987": ("Rua Boa Vista, 254, 3º andar", "Centro", "São Paulo", "SP", "01014000"),
    "456789123": ("Rua XV de Novembro, 700", "Centro", "Curitiba", "PR", "80020310"),
    "556667770001": (
        "Av. Borges de Medeiros, 2105",
        "Praia de Belas",
        "Porto Alegre",
        "RS",
        "90110150",
    ),
    "741852963": ("Av. T-63, 1296, sala 404", "Setor Bueno", "Goiânia", "GO", "74230100"),
    "852963741": ("Av. Tancredo Neves, 1632", "Caminho das Árvores", "Salvador", "BA", "41820020"),
    "66ABC778PL01": ("Rua Funchal, 418, 12º andar", "Vila Olímpia", "São Paulo", "SP", "04551060"),
}

# client index, number suffix, amount, due in days from today (negative = past), paid
BOLETOS = [
    (0, "0001", "219.80", -45, True),
    (0, "0002", "219.80", -15, False),  # overdue: G4 alert
    (1, "0003", "89.90", 10, False),  # open, not yet due
    (3, "0004", "349.00", -420, False),  # debt older than one year: S7 waives it
    (3, "0005", "349.00", -30, True),
    (5, "0006", "129.90", -5, False),
    (7, "0007", "89.90", -60, True),
]


def document_for(base: str) -> str:
    return cpf_with_check_digits(base) if len(base) == 9 else cnpj_with_check_digits(base)


class Command(BaseCommand):
    help = "Cria usuários, catálogo, fichas e boletos de demonstração (idempotente)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Carrega mesmo com DEBUG desligado e sem BALCAO_DEMO (os usuários de "
            "demonstração têm uma senha publicada).",
        )

    def handle(self, *args, **options):
        # The demo users share a published password: never on a production database by accident.
        if not (settings.DEBUG or settings.DEMO or options["force"]):
            raise CommandError(
                "Recusado: os usuários de demonstração têm a senha publicada no README. Este "
                "ambiente parece de produção (DEBUG desligado, BALCAO_DEMO não definido). Use "
                "--force se for mesmo uma demonstração."
            )
        self.load()

    @transaction.atomic
    def load(self):
        today = clock.today()
        seed_company_calendar([today.year, today.year + 1])
        for username, first, last, roles, staff in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@balcao.local",
                    "is_staff": staff,
                    "is_superuser": staff,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(*Group.objects.filter(name__in=roles))
        products = {}
        for code, name, unit, price in PRODUCTS:
            products[code], _ = Product.objects.get_or_create(
                code=code, defaults={"name": name, "unit": unit, "unit_price": Decimal(price)}
            )
        fichas = []
        for name, base, email, phone, oab, held in CLIENTS:
            ficha, created = Ficha.objects.get_or_create(
                document=document_for(base),
                defaults={
                    "name": name,
                    "email": email,
                    "phone": phone,
                    "oab": oab,
                    **dict(zip(Ficha.ADDRESS_FIELDS, ADDRESSES[base], strict=True)),
                },
            )
            if created:
                ficha_onboard(ficha)  # G7: its onboarding checklist and duplicate check
            ficha.products.add(*(products[c] for c in held))
            fichas.append(ficha)
        for index, suffix, amount, due_in, paid in BOLETOS:
            due = today + dt.timedelta(days=due_in)
            Boleto.objects.get_or_create(
                number=f"34191.{suffix}",
                defaults={
                    "ficha": fichas[index],
                    "amount": Decimal(amount),
                    "due_date": due,
                    "paid_at": clock.now() if paid else None,
                },
            )
        if not Movimentacao.objects.exists():
            self.tell_stories(fichas, products)
        seed_onboarding()
        seed_support()
        self.stdout.write(
            self.style.SUCCESS(
                f"Dados de demonstração prontos: {len(USERS)} usuários (senha “{DEMO_PASSWORD}”), "
                f"{len(PRODUCTS)} produtos, {Ficha.objects.count()} fichas, "
                f"{Boleto.objects.count()} boletos, {Ticket.objects.count()} chamados."
            )
        )

    def tell_stories(self, fichas, products):
        """Agendamentos, contacts, inactivations and a contested commission, made through the
        services so the demo obeys the same rules as the users."""
        users = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in USERS])}
        ana, bruno, carla, gabriel = (users[n] for n in ("ana", "bruno", "carla", "gabriel"))
        bitrix = f"https://{settings.BITRIX_PORTAL_HOST}/crm/deal/details/"
        now = clock.now()
        rafael, juliana, fonseca, paulo, beatriz, cardoso, lucas = (fichas[i] for i in range(1, 8))

        agendamentos.agendamento_open(
            rafael,
            owner=ana,
            kind=AgendamentoKind.SALE_WITH_CONTACT,
            product=products["acompanhamento"],
            channel=Movimentacao.Channel.PHONE,
            text="Orçamento de acompanhamento processual enviado; cliente vai decidir com o sócio",
            bitrix_link=bitrix + "5120/",
            boleto_alert_given=True,  # G4: Rafael has a boleto to pay this month
        )
        agendamentos.agendamento_open(
            juliana,
            owner=bruno,
            kind=AgendamentoKind.SALE_WITHOUT_CONTACT,
            product=products["advogado"],
            channel=Movimentacao.Channel.PHONE,
            outcome=Movimentacao.Outcome.NO_ANSWER,
            text="Tentativa de oferecer advogado adicional, cliente não atendeu",
        )
        movimentacoes.movimentacao_log(
            paulo,
            author=carla,
            channel=Movimentacao.Channel.CHAT,
            reason=Movimentacao.Reason.USAGE,
            outcome=Movimentacao.Outcome.RESOLVED,
            text="Dúvida sobre como cadastrar processos do TJSP: expliquei o passo a passo",
            bitrix_link=f"https://{settings.BITRIX_PORTAL_HOST}/online/?IM_DIALOG=chat981",
        )
        movimentacoes.movimentacao_log(
            beatriz,
            author=carla,
            channel=Movimentacao.Channel.PHONE,
            reason=Movimentacao.Reason.ERROR_RETURN,
            outcome=Movimentacao.Outcome.NO_ANSWER,
            text="Tentativa de retorno sobre erro na intimação, cliente não atendeu",
        )
        with clock.frozen(now - dt.timedelta(days=5)):
            selling.ficha_inactivate(
                cardoso, actor=ana, reason="Escritório pediu pausa: sem movimento no trimestre"
            )
            selling.ficha_inactivation_answer(
                cardoso, actor=ana, answer="Não temos interesse neste momento, obrigado."
            )
        transition(fonseca, "inactivate_automatically", actor=None, reason="inadimplência")
        selling.ficha_sell(
            lucas,
            products["pesquisa"],
            bruno,
            quantity=2,
            data_confirmed=True,
            commission_flag="Cliente chegou pelo 1º passo: agendamento de Ana, venda de Bruno",
        )
        availability.set_availability(gabriel, "available")
        mariana = fichas[0]
        quote = orcamento.orcamento_create(
            mariana,
            author=ana,
            demand="Escritório com 4 advogados atuando em SP e MG quer monitorar publicações "
            "e acompanhar os processos dos dois estados.",
        )
        orcamento.orcamento_item_set(quote, actor=ana, product=products["intimacao"], quantity=1)
        orcamento.orcamento_item_set(quote, actor=ana, product=products["advogado"], quantity=3)
        orcamento.orcamento_item_set(
            quote, actor=ana, product=products["estado"], quantity=1, discount=Decimal("9.90")
        )
        for step in ("define_products", "set_prices"):
            quote = orcamento.orcamento_step(quote, step, actor=ana)
        orcamento.orcamento_send(quote, actor=ana, bitrix_link=bitrix + "5133/")
