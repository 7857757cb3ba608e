from agora.format import pluriel


def test_le_pluriel_s_accorde_sans_parentheses():
    assert pluriel(0, "note") == "0 note"
    assert pluriel(1, "note créée") == "1 note créée"
    assert pluriel(3, "note créée") == "3 notes créées"
    assert pluriel(2, "prix") == "2 prix"
    assert pluriel(2, "cheval", "chevaux") == "2 chevaux"


def test_les_capitales_des_intitules_de_l_arrete_sont_accentuees():
    from agora.format import capitales_accentuees

    assert capitales_accentuees("Economie-droit") == "Économie-droit"
    assert capitales_accentuees("Epreuve d'éducation physique") == "Épreuve d'éducation physique"
    assert capitales_accentuees("Etude de situations") == "Étude de situations"
    assert capitales_accentuees("Mathématiques") == "Mathématiques"


def test_un_seul_format_des_nombres_et_des_dates():
    """Les nombres et les dates de tout le site viennent d'agora.format (issue « One house… », point 5)."""
    import datetime
    from decimal import Decimal

    from agora.format import date_fr, jour_fr, nombre, nombre_json, texte_decimal

    assert [nombre(v) for v in (Decimal("249.875"), Decimal("2.00"), Decimal("13.50"), 100, 0, None, "")] == [
        "249,875",
        "2",
        "13,5",
        "100",
        "0",
        "",
        "",
    ]
    assert [texte_decimal(v) for v in (Decimal("233"), Decimal("257.5"), Decimal("249.875"), Decimal("10.120"))] == [
        "233,00",
        "257,50",
        "249,875",
        "10,12",
    ]
    assert nombre_json(Decimal("10.50")) == "10.5" and nombre_json(None) == ""
    assert date_fr(datetime.date(2026, 6, 5)) == "05/06/2026" and date_fr(None) == ""
    assert jour_fr(datetime.date(2026, 6, 5)) == "vendredi 05/06/2026" and jour_fr(None) == ""


def test_une_note_s_ecrit_comme_un_decimal_ou_son_etat():
    from decimal import Decimal

    from examens.models import texte_note

    assert texte_note("note", Decimal("14")) == "14,00"
    assert texte_note("note", Decimal("10.125")) == "10,125"
    assert texte_note("note", Decimal("12.50")) == "12,50"
    assert texte_note("ABJ", None) == "ABJ"


def test_une_date_se_lit_en_jj_mm_aaaa_et_doit_exister():
    import datetime

    from agora.format import lire_date

    assert lire_date("05/06/2026") == datetime.date(2026, 6, 5)
    assert lire_date("31/02/2008") is None  # le bon format, une date qui n'existe pas
    assert lire_date("2026-06-05") is None and lire_date("5/6/2026") is None and lire_date("") is None
