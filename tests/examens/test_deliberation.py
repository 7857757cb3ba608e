"""La délibération sur la base réelle : exemples chiffrés de regles-examen.md §7, requêtes bornées, verrou."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from examens import resultats, services
from examens.models import Note, Resultat, Session
from tests import fabriques
from tests.examens.outils import UNITES

pytestmark = pytest.mark.django_db


def noter(candidat, valeurs, **autres):
    """Écrit les notes par la porte unique (services.ecrire_notes), qui recalcule le résultat du candidat."""
    saisies = []
    for unite, valeur in zip(UNITES, valeurs, strict=True):
        etat = valeur if valeur in ("ABJ", "ABS", "DIS", "NV") else "note"
        saisies.append(
            services.SaisieNote(
                candidat=candidat, unite=unite, etat=etat, valeur=None if etat != "note" else Decimal(valeur)
            )
        )
    for unite, valeur in autres.items():
        groupe = 2 if unite.endswith("_controle") else 1
        code = unite.removesuffix("_controle")
        if groupe == 2:  # la note de contrôle suppose le choix de l'unité (donnée de départ du test)
            champ = "controle_scientifique" if code in ("U11", "U12", "U33") else "controle_francais_hg"
            setattr(candidat, champ, code)
            candidat.save(update_fields=[champ])
        saisies.append(
            services.SaisieNote(candidat=candidat, unite=code, groupe=groupe, etat="note", valeur=Decimal(valeur))
        )
    services.ecrire_notes(saisies=saisies, source="test")


def resultat(candidat):
    services.deliberer(session=candidat.session)
    return Resultat.objects.get(candidat=candidat)


def test_exemple_1_scolaire_admis_mention_assez_bien():
    c = fabriques.candidat()
    # 12+11+4×13+4×14+3×12+10+2×11+2×9+2,5×10+2,5×12+13+15 = 300 → 300/25 = 12
    noter(c, ["12", "11", "13", "14", "12", "10", "11", "9", "10", "12", "13", "15"])
    r = resultat(c)
    assert (r.decision, r.mention, r.moyenne, r.points) == ("admis", "AB", Decimal("12.00"), Decimal("300.000"))


def test_exemple_2_unites_facultatives_seuls_les_points_au_dessus_de_10():
    c = fabriques.candidat(facultative1="LV:it", facultative2="EPS")
    noter(c, ["12", "11", "13", "14", "12", "10", "11", "9", "10", "12", "13", "15"], UF1="15", UF2="8")
    r = resultat(c)  # 300 + max(0, 15−10) + max(0, 8−10) = 305 → 305/25 = 12,20
    assert (r.decision, r.mention, r.moyenne) == ("admis", "AB", Decimal("12.20"))


def test_exemple_3_moyenne_9995_n_est_pas_10_et_donne_le_controle():
    c = fabriques.candidat(statut="fpc_public_habilite")
    # 250 + 4×0,125 − 2,5×0,25 = 249,875 → 249,875/25 = 9,995 < 10 ; pro (40,5+40+30)/11 = 10,045 ≥ 10
    noter(c, ["10", "10", "10.125", "10", "10", "10", "10", "10", "9.75", "10", "10", "10"])
    r = resultat(c)
    assert (r.decision, r.mention, r.moyenne, r.moyenne_exacte) == ("controle", "", Decimal("9.99"), "1999/200")
    assert r.moyenne_professionnelle == Decimal("10.04")


def test_exemple_4_controle_reussi_sans_mention():
    c = fabriques.candidat()
    # 235,5/25 = 9,42 ; contrôle maths 6 → 12 et français 7 → 11 : 235,5 + 6 + 2,5×4 = 251,5 → 10,06
    noter(c, ["8", "6", "11", "12", "10", "8", "9", "7", "7", "8", "10", "12"], U12_controle="12", U51_controle="11")
    r = resultat(c)
    assert (r.decision, r.mention, r.moyenne, r.controle_passe) == ("admis", "", Decimal("10.06"), True)


def test_exemple_11_absence_non_justifiee_non_delivrable_malgre_la_moyenne():
    c = fabriques.candidat()
    noter(c, ["12", "11", "13", "14", "12", "ABS", "11", "9", "10", "12", "13", "15"])
    assert resultat(c).decision == "non_delivrable"


def test_une_unite_sans_note_donne_incomplet():
    c = fabriques.candidat()
    Note.objects.create(candidat=c, unite="U31", valeur=Decimal(15))
    r = resultat(c)
    assert r.decision == "incomplet" and r.moyenne is None


def test_un_blocage_externe_rend_non_delivrable():
    c = fabriques.candidat()
    noter(c, ["12", "11", "13", "14", "12", "10", "11", "9", "10", "12", "13", "15"])
    c.blocages.create(source="pfmp", motif="justificatifs PFMP manquants")
    r = resultat(c)
    assert r.decision == "non_delivrable" and any("justificatifs PFMP manquants" in ligne for ligne in r.trace)


def test_la_deliberation_fait_un_nombre_constant_de_requetes():
    def compter(n):
        Resultat.objects.all().delete()
        Note.objects.all().delete()
        Session.objects.filter(annee=2026).delete()
        for _ in range(n):
            noter(fabriques.candidat(), ["12"] * 12)
        with CaptureQueriesContext(connection) as requetes:
            services.deliberer(session=fabriques.session())
        return len(requetes)

    assert compter(3) == compter(40)


def test_commande_deliberer_json_triee_par_numero(capsys):
    b = fabriques.candidat(numero="B002")
    a = fabriques.candidat(numero="A001", statut="fpc_public_habilite")
    noter(a, ["10", "10", "10.125", "10", "10", "10", "10", "10", "9.75", "10", "10", "10"])
    noter(b, ["14"] * 12)
    call_command("deliberer", "--session", "2026", "--format", "json")
    sortie = json.loads(capsys.readouterr().out)
    assert [ligne["numero_candidat"] for ligne in sortie] == ["A001", "B002"]
    assert sortie[0] | {"trace": None} == {
        "numero_candidat": "A001",
        "decision": "controle",
        "mention": None,
        "points": "249.87",
        "moyenne": "9.99",
        "moyenne_professionnelle": "10.04",
        "trace": None,
    }
    assert sortie[1]["mention"] == "B" and sortie[1]["moyenne"] == "14.00"
    call_command("deliberer", "--session", "2026", "--format", "csv")
    lignes = capsys.readouterr().out.splitlines()
    assert lignes[0].startswith("numero_candidat;decision;mention;points;moyenne")
    assert lignes[1].startswith("A001;controle;;249.87;9.99;10.04;")


def test_verrou_aucune_note_ne_change_meme_en_sql(comptes):
    c = fabriques.candidat()
    noter(c, ["12"] * 12)
    services.verrouiller(session=c.session, auteur=comptes.administrateur)
    with pytest.raises(services.OperationRefusee, match="verrouillée"):
        services.saisir_note(candidat=c, unite="U31", texte="15", auteur=comptes.gestionnaire)
    with pytest.raises(IntegrityError, match="Session verrouillée"), transaction.atomic():
        Note.objects.filter(candidat=c, unite="U31").update(valeur=Decimal(15))
    with pytest.raises(IntegrityError, match="Session verrouillée"), transaction.atomic():
        Note.objects.filter(candidat=c, unite="U31").delete()
    with pytest.raises(services.OperationRefusee, match="administrateur"):
        services.deverrouiller(session=c.session, auteur=comptes.gestionnaire, motif="erreur")
    with pytest.raises(services.OperationRefusee, match="motif"):
        services.deverrouiller(session=c.session, auteur=comptes.administrateur, motif=" ")
    services.deverrouiller(session=c.session, auteur=comptes.administrateur, motif="erreur de saisie U31")
    services.saisir_note(candidat=c, unite="U31", texte="15", auteur=comptes.gestionnaire)
    assert Note.objects.get(candidat=c, unite="U31").valeur == 15


def test_le_journal_est_en_ajout_seul():
    from examens.models import Journal

    entree = services.journaliser(action="essai", motif="avant")
    with pytest.raises(Exception, match="ajout seul"), transaction.atomic():
        Journal.objects.filter(pk=entree.pk).update(motif="après")
    with pytest.raises(Exception, match="ajout seul"), transaction.atomic():
        Journal.objects.filter(pk=entree.pk).delete()
    assert Journal.objects.get(pk=entree.pk).motif == "avant"


def test_le_calcul_reparti_entre_processus_donne_les_memes_resultats(monkeypatch):
    for i, valeur in enumerate(["7", "9.5", "10", "12", "14.25", "16", "8.75"]):
        noter(fabriques.candidat(numero=f"P{i:03d}"), [valeur] * 11 + ["ABJ" if i == 1 else valeur])
    session = fabriques.session()
    monkeypatch.setattr(resultats, "SEUIL_PARALLELE", 10**9)
    seul = [(c.candidat.numero, c.resultat, c.empreinte) for c in resultats.calculer(session)]
    monkeypatch.setattr(resultats, "SEUIL_PARALLELE", 1)
    reparti = [(c.candidat.numero, c.resultat, c.empreinte) for c in resultats.calculer(session)]
    assert seul == reparti and len(seul) == 7
    # La vérification répartie compare dans les processus fils et ne renvoie que les écarts.
    from examens.models import Resultat

    Resultat.objects.filter(candidat__numero="P003").update(decision="ajourne")
    v = resultats.verifier(session)
    assert [c.candidat.numero for c in v.a_ecrire] == ["P003"] and v.total == 7
    assert [str(d) for d in v.differences] == ["P003 : décision Ajourné → Admis"]
