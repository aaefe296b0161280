"""S31: endpoint names that look like another one. Invisible and control characters are
refused by code point and name; compatibility forms (full-width, the Kelvin sign) are
stored in their NFKC form; letters from look-alike alphabets (Latin, Cyrillic, Greek) may
not be mixed; and uniqueness uses one stored key (NFKC + case folding), so SQLite and
PostgreSQL refuse the same names. Pages, admin and model share the rules (UTS #39 / TR 36).
Runs on SQLite and PostgreSQL."""

import html

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from endpoints.models import Registry
from tests.forms import registry_form

REGISTRY_ADD = reverse("admin:endpoints_registry_add")
BEFORE = ("endpoints", "0003_status_name_index")
AFTER = ("endpoints", "0004_registry_name_key")

pytestmark = pytest.mark.django_db

# (character, how the message names it)
INVISIBLE = [
    ("\u200b", "invisible character U+200B ZERO WIDTH SPACE"),
    ("\u00ad", "invisible character U+00AD SOFT HYPHEN"),
    ("\u202e", "invisible character U+202E RIGHT-TO-LEFT OVERRIDE"),
]
MORE_INVISIBLE = [
    ("\u2066", "invisible character U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("\u200d", "invisible character U+200D ZERO WIDTH JOINER"),
    ("\ufeff", "invisible character U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u2028", "invisible character U+2028 LINE SEPARATOR"),
    ("\u3164", "invisible character U+3164 HANGUL FILLER"),
    ("\t", "control character U+0009"),
    ("\ue000", "private-use character U+E000"),
    ("\u0378", "unassigned character U+0378"),
]


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def new_registry(name: str, **extra) -> Registry:
    return Registry(name=name, provider="docker-registry", url="https://x.example.com", **extra)


def name_errors(registry: Registry) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        registry.full_clean()
    return exc.value.message_dict["name"]


# --- the New Endpoint page ---


@pytest.mark.parametrize(("char", "described"), INVISIBLE)
def test_the_page_refuses_each_invisible_character_naming_it(owner_client, char, described):
    response = owner_client.post("/registries/new/", registry_form(name=f"pro{char}d"))
    assert response.status_code == 400
    assert f"Remove the {described} at position 4" in page_text(response)
    assert not Registry.objects.exists()


def test_the_page_stores_a_full_width_name_in_its_normal_form(owner_client, recording_registry):
    response = owner_client.post("/registries/new/", registry_form(
        name="ｐｒｏｄ", url=recording_registry.url, access_id="ci", access_secret="ci-pass",
    ), follow=True)
    assert "Created endpoint successfully." in page_text(response)
    assert list(Registry.objects.values_list("name", flat=True)) == ["prod"]


def test_the_page_refuses_a_full_width_copy_of_an_existing_name(owner_client, make_registry):
    make_registry(name="prod")
    response = owner_client.post("/registries/new/", registry_form(name="ｐｒｏｄ"))
    text = page_text(response)
    assert response.status_code == 400
    assert "An endpoint named “prod” already exists" in text
    assert "look-alike characters count as the same name" in text
    assert Registry.objects.count() == 1


def test_the_page_refuses_a_cyrillic_letter_among_latin_ones(owner_client):
    response = owner_client.post("/registries/new/", registry_form(name="\u0440rod"))
    text = page_text(response)
    assert response.status_code == 400
    assert "U+0440 CYRILLIC SMALL LETTER ER at position 1" in text
    assert "Latin" in text
    assert not Registry.objects.exists()


def test_the_page_accepts_a_japanese_name(owner_client, recording_registry):
    response = owner_client.post("/registries/new/", registry_form(
        name="東京ミラー", url=recording_registry.url, access_id="ci", access_secret="ci-pass",
    ), follow=True)
    assert "Created endpoint successfully." in page_text(response)
    assert Registry.objects.get().name == "東京ミラー"


# --- the admin ---


def test_the_admin_refuses_an_invisible_character(admin_client):
    response = admin_client.post(
        REGISTRY_ADD, {"provider": "harbor", "name": "pro\u200bd", "url": "https://x.example.com"}
    )
    assert response.status_code == 200
    assert "Remove the invisible character U+200B ZERO WIDTH SPACE at position 4" in page_text(response)
    assert not Registry.objects.exists()


def test_the_admin_refuses_a_non_ascii_case_variant(admin_client, make_registry):
    make_registry(name="équipe")
    response = admin_client.post(
        REGISTRY_ADD, {"provider": "harbor", "name": "ÉQUIPE", "url": "https://x.example.com"}
    )
    assert response.status_code == 200
    assert "An endpoint named “équipe” already exists" in page_text(response)
    assert Registry.objects.count() == 1


def test_the_admin_stores_a_full_width_name_in_its_normal_form(admin_client):
    response = admin_client.post(
        REGISTRY_ADD, {"provider": "harbor", "name": " ｈａｒｂｏｒ\u3000", "url": "https://x.example.com"}
    )
    assert response.status_code == 302
    assert Registry.objects.get().name == "harbor"


# --- the model: normal form and refusals ---


@pytest.mark.parametrize(("char", "described"), INVISIBLE + MORE_INVISIBLE)
def test_the_model_refuses_invisible_and_control_characters(char, described):
    errors = name_errors(new_registry(f"pro{char}d"))
    assert any(f"Remove the {described} at position 4" in e for e in errors), errors


def test_the_model_names_every_invisible_character_it_refuses():
    errors = name_errors(new_registry("a\u200bb\u202ec"))
    assert any("U+200B ZERO WIDTH SPACE at position 2" in e for e in errors)
    assert any("U+202E RIGHT-TO-LEFT OVERRIDE at position 4" in e for e in errors)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ｐｒｏｄ", "prod"),
        ("  prod-eu  ", "prod-eu"),
        ("\u212aube", "Kube"),  # KELVIN SIGN
        ("e\u0301quipe", "équipe"),  # a combining accent is composed
        ("prod\u00a0eu", "prod eu"),  # a no-break space is a space; inner spaces are kept
        ("prod  eu", "prod  eu"),
    ],
)
def test_the_model_stores_the_nfkc_form_trimmed(typed, stored):
    registry = new_registry(typed)
    registry.full_clean()
    assert registry.name == stored


@pytest.mark.parametrize(
    ("name", "offender"),
    [
        ("\u0440rod", "U+0440 CYRILLIC SMALL LETTER ER at position 1"),
        ("pay\u0440al", "U+0440 CYRILLIC SMALL LETTER ER at position 4"),
        ("\u03c1rod", "U+03C1 GREEK SMALL LETTER RHO at position 1"),
        ("\u043f\u0440\u043e\u0434-x", "U+0078 LATIN SMALL LETTER X at position 6"),
        ("\u043f\u0440\u043e\u03b4", "U+03B4 GREEK SMALL LETTER DELTA at position 4"),
    ],
)
def test_the_model_refuses_mixed_look_alike_alphabets_naming_the_letter(name, offender):
    errors = name_errors(new_registry(name))
    assert any(offender in e for e in errors), errors


@pytest.mark.parametrize(
    "name",
    ["東京ミラー", "mirror-東京", "прод", "δοκιμή", "مرآة", "Zürich-ß", "prod-01 (eu)"],
)
def test_the_model_accepts_single_alphabet_and_other_script_names(name):
    registry = new_registry(name)
    registry.full_clean()
    registry.save()
    assert Registry.objects.get().name == name


def test_the_model_refuses_a_name_longer_than_64_once_normalized():
    errors = name_errors(new_registry("\ufdfa" * 4))  # each is 18 letters under NFKC
    assert any("at most 64" in e for e in errors), errors


def test_the_model_refuses_a_name_that_normalizes_to_nothing():
    errors = name_errors(new_registry("\u00a0"))
    assert errors == ["Endpoint name is required."]


# --- the model: one uniqueness key ---


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("prod", "ｐｒｏｄ"),
        ("équipe", "ÉQUIPE"),
        ("kube", "\u212aube"),
        ("Straße", "STRASSE"),
        ("prod", "PROD"),
    ],
)
def test_names_that_differ_only_in_case_or_compatibility_form_collide(make_registry, existing, typed):
    make_registry(name=existing)
    errors = name_errors(new_registry(typed))
    assert errors == [
        f"An endpoint named “{existing}” already exists (names are not case-sensitive, and "
        "look-alike characters count as the same name)."
    ]


@pytest.mark.parametrize(
    ("existing", "typed"),
    [("équipe", "ÉQUIPE"), ("kube", "\u212aube"), ("prod", "ｐｒｏｄ"), ("prod", "pro\u200bd")],
)
def test_the_database_refuses_the_same_names_without_clean(make_registry, existing, typed):
    make_registry(name=existing)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registry.objects.create(name=typed, provider="docker-registry", url="https://x.example.com")


def test_bulk_create_derives_the_key_too():
    with pytest.raises(IntegrityError), transaction.atomic():
        Registry.objects.bulk_create([new_registry("équipe"), new_registry("ÉQUIPE")])


def test_the_key_is_derived_from_the_name_never_typed(make_registry):
    registry = make_registry(name="alpha")
    registry.name_key = "something-else"
    registry.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Registry.objects.create(name="ALPHA", provider="docker-registry", url="https://x.example.com")


def test_an_edit_saves_the_key_with_the_name(make_registry):
    registry = make_registry(name="alpha")
    registry.name = "Beta"
    registry.full_clean()
    registry.save_edit()
    with pytest.raises(IntegrityError), transaction.atomic():
        Registry.objects.create(name="ＢＥＴＡ", provider="docker-registry", url="https://x.example.com")
    Registry.objects.create(name="alpha", provider="docker-registry", url="https://y.example.com")


def test_renaming_to_a_case_variant_of_itself_is_allowed(make_registry):
    registry = make_registry(name="prod")
    registry.name = "PROD"
    registry.full_clean()
    registry.save_edit()
    assert Registry.objects.get().name == "PROD"


# --- migration 0004: fill the key, keep look-alike rows apart ---


@pytest.fixture
def migrator():
    """A MigrationExecutor; whatever a test does, the database ends fully migrated."""
    executor = MigrationExecutor(connection)
    yield executor
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_key_and_renames_later_look_alikes(migrator, capsys):
    migrator.migrate([BEFORE])
    old = migrator.loader.project_state([BEFORE]).apps
    OldRegistry = old.get_model("endpoints", "Registry")
    OldRule = old.get_model("endpoints", "ReplicationRule")

    def add(name: str):
        return OldRegistry.objects.create(name=name, provider="harbor", url="https://x.example.com")

    # Names the old Lower("name") constraint let through on both databases:
    first, wide, invisible = add("prod"), add("ｐｒｏｄ"), add("pro\u200bd")
    long_name, long_wide = add("a" * 64), add("ａ" * 64)
    other = add("Mirror")
    OldRule.objects.create(name="uses-the-look-alike", source_registry=wide)

    migrator.loader.build_graph()
    migrator.migrate([AFTER])

    new = migrator.loader.project_state([AFTER]).apps.get_model("endpoints", "Registry")
    stored = {r.pk: (r.name, r.name_key) for r in new.objects.all()}
    assert stored == {
        first.pk: ("prod", "prod"),
        wide.pk: ("ｐｒｏｄ (2)", "prod (2)"),
        invisible.pk: ("pro\u200bd (3)", "prod (3)"),
        long_name.pk: ("a" * 64, "a" * 64),
        long_wide.pk: ("ａ" * 60 + " (2)", "a" * 60 + " (2)"),
        other.pk: ("Mirror", "mirror"),
    }
    printed = capsys.readouterr().out
    assert f"Renamed endpoint #{wide.pk} “ｐｒｏｄ” to “ｐｒｏｄ (2)”" in printed
    assert f"endpoint #{first.pk} “prod”" in printed
    assert "Mirror" not in printed
    with pytest.raises(IntegrityError), transaction.atomic():
        new.objects.create(name="PROD", provider="harbor", url="https://x.example.com")


@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_to_the_old_constraint(migrator):
    migrator.migrate([BEFORE])
    old = migrator.loader.project_state([BEFORE]).apps.get_model("endpoints", "Registry")
    old.objects.create(name="Prod", provider="harbor", url="https://x.example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        old.objects.create(name="PROD", provider="harbor", url="https://x.example.com")
