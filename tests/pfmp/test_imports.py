"""importer_pfmp et bilan_pfmp : tout ou rien, erreurs numérotées en français, réimport sans doublon."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from agora.tableaux import ImportRefuse
from examens.models import Blocage, Journal
from pfmp.imports import COLONNES, importer_pfmp
from pfmp.models import Attestation, Organisation, Periode
from tests import fabriques
from tests.examens.outils import csv_bytes
from tests.pfmp.outils import SIRET, SIRET_2, TERMINALE, periode

pytestmark = pytest.mark.django_db

ENTETE = ";".join(COLONNES)


def importer(*lignes, annee=2026, entete=ENTETE):
    return importer_pfmp(contenu=csv_bytes(entete, *lignes), nom_fichier="pfmp.csv", annee=annee)


@pytest.fixture
def deux():
    a = fabriques.candidat(numero="A001", duree_cycle=2)
    b = fabriques.candidat(numero="B002", duree_cycle=2)
    return a, b


def test_un_import_valide_cree_periodes_organisations_attestations_et_rend_conforme(deux):
    a, b = deux
    bilan = importer(
        f"A001;{SIRET};Imprimerie Nouvelle;FR;06/01/2025;28/02/2025;8;oui",
        f"A001;{SIRET_2};Cabinet Dupuis;fr;03/11/2025;26/12/2025;8;oui",
        "B002;;Oficina Gestión;ES;06/01/2025;28/02/2025;8;oui",
        f"B002;{SIRET};Imprimerie Nouvelle;FR;03/11/2025;26/12/2025;7,5;non",
    )
    assert (bilan.crees, bilan.modifies, bilan.inchanges, bilan.candidats) == (4, 0, 0, 2)
    assert bilan.organisations_creees == [SIRET, SIRET_2, "Oficina Gestión (Espagne)"]
    assert Organisation.objects.count() == 3 and Periode.objects.count() == 4
    a.refresh_from_db()
    b.refresh_from_db()
    # A : 8 + 8 = 16 signées sur 16 → conforme ; B : 8 signées + 7,5 non signées → bloqué, mobilité (Espagne).
    assert not Blocage.objects.filter(candidat=a).exists()
    # 16 semaines requises, 8 attestées et signées : 8 manquent, et l'attestation de 7,5 semaines attend sa signature.
    assert Blocage.objects.get(candidat=b).motif == "PFMP : 8 semaines manquantes, 1 attestation non signée"
    assert (a.mobilite_eligible, b.mobilite_eligible) == (False, True)
    assert Attestation.objects.get(periode__convention__candidat=b, signee=False).semaines == pytest.approx(7.5)
    assert Journal.objects.filter(action="pfmp.attestation.creation").count() == 4
    assert Journal.objects.get(action="import.pfmp").apres["periodes_creees"] == 4


def test_une_seule_ligne_fausse_et_rien_n_est_ecrit_toutes_les_erreurs_sont_listees(deux):
    with pytest.raises(ImportRefuse) as refus:
        importer(
            f"A001;{SIRET};Imprimerie Nouvelle;FR;06/01/2025;28/02/2025;8;oui",
            "A001;55210055400014;X;FR;03/11/2025;26/12/2025;8;oui",
            "B002;;Oficina;ES;02/03/2026;27/03/2026;5;peut-être",
            "Z999;;Oficina;XX;2026-03-02;27/03/2026;4,25;oui",
            "B002;;Sans siret;FR;05/01/2026;16/01/2026;2;non",
            "B002;;=HYPERLIEN;ES;26/01/2026;16/01/2026;0;oui",
        )
    assert [str(e) for e in refus.value.erreurs] == [
        "ligne 3 : SIRET « 55210055400014 » : clé de contrôle (Luhn) incorrecte",
        "ligne 4 : semaines 5 : plus que les 4 semaines civiles du 02/03/2026 au 27/03/2026",
        "ligne 4 : attestation_signee « peut-être » : oui ou non",
        "ligne 5 : numero_candidat « Z999 » inconnu dans la session 2026 ou hors de votre périmètre",
        "ligne 5 : pays « XX » : code ISO 3166-1 alpha-2 attendu (ex. FR, ES, DE)",
        "ligne 5 : date_debut « 2026-03-02 » : date JJ/MM/AAAA attendue",
        "ligne 5 : semaines « 4,25 » : nombre de semaines attendu (ex. 4 ou 3,5 ; une décimale)",
        "ligne 6 : siret obligatoire pour une organisation établie en France",
        "ligne 7 : organisation « =HYPERLIEN » : ne peut pas commencer par '='",
        "ligne 7 : date_fin 16/01/2026 antérieure à date_debut 26/01/2026",
        "ligne 7 : semaines 0 : doit être positif",
    ]
    assert not Periode.objects.exists() and not Organisation.objects.exists() and not Attestation.objects.exists()


def test_deux_periodes_qui_se_chevauchent_sont_refusees_dans_le_fichier_et_avec_la_base(deux):
    a, _ = deux
    periode(a, *TERMINALE)
    with pytest.raises(ImportRefuse) as refus:
        importer(
            f"B002;{SIRET};Imprimerie Nouvelle;FR;06/01/2025;28/02/2025;8;oui",
            f"B002;{SIRET_2};Cabinet Dupuis;FR;24/02/2025;07/03/2025;2;oui",
            f"A001;{SIRET_2};Cabinet Dupuis;FR;01/12/2025;19/12/2025;3;oui",
        )
    messages = [str(e) for e in refus.value.erreurs]
    assert messages == [
        "ligne 3 : période du 24/02/2025 au 07/03/2025 : chevauche celle de la ligne 2 (B002)",
        "ligne 4 : période du 01/12/2025 au 19/12/2025 : chevauche celle déjà enregistrée du 03/11/2025 au "
        "26/12/2025 (Imprimerie Nouvelle)",
    ]


def test_un_meme_siret_pour_deux_noms_est_refuse(deux):
    with pytest.raises(ImportRefuse) as refus:
        importer(
            f"A001;{SIRET};Imprimerie Nouvelle;FR;06/01/2025;28/02/2025;8;oui",
            f"B002;{SIRET};Imprimerie Ancienne;FR;06/01/2025;28/02/2025;8;oui",
        )
    assert [str(e) for e in refus.value.erreurs] == [
        f"ligne 3 : siret {SIRET} : déjà « Imprimerie Nouvelle » ligne 2, ici « Imprimerie Ancienne »"
    ]


def test_reimporter_le_meme_fichier_ne_cree_rien_et_une_signature_remplace_l_attestation(deux):
    lignes = [
        f"A001;{SIRET};Imprimerie Nouvelle;FR;06/01/2025;28/02/2025;8;oui",
        f"A001;{SIRET};Imprimerie Nouvelle;FR;03/11/2025;26/12/2025;8;non",
    ]
    importer(*lignes)
    bilan = importer(*lignes)
    assert (bilan.crees, bilan.modifies, bilan.inchanges) == (0, 0, 2)
    bilan = importer(lignes[0], lignes[1].replace(";non", ";oui"))
    assert (bilan.crees, bilan.modifies, bilan.inchanges) == (0, 1, 1)
    assert Periode.objects.count() == 2 and Attestation.objects.count() == 3
    assert Attestation.objects.filter(en_vigueur=True, signee=True).count() == 2
    assert not Blocage.objects.filter(candidat__numero="A001").exists()
    assert Journal.objects.filter(action="pfmp.attestation.modification").count() == 1


def test_un_classeur_xlsx_s_importe_comme_un_csv(deux):
    classeur = Workbook()
    feuille = classeur.active
    feuille.append(COLONNES)
    feuille.append(["A001", SIRET, "Imprimerie Nouvelle", "FR", "06/01/2025", "28/02/2025", 8, "oui"])
    feuille.append(["A001", SIRET, "Imprimerie Nouvelle", "FR", "03/11/2025", "26/12/2025", 7.5, "oui"])
    tampon = io.BytesIO()
    classeur.save(tampon)
    bilan = importer_pfmp(contenu=tampon.getvalue(), nom_fichier="pfmp.xlsx", annee=2026)
    assert bilan.crees == 2
    assert sorted(a.semaines for a in Attestation.objects.all()) == [pytest.approx(7.5), 8]


def test_en_tete_incomplet_ou_session_verrouillee(deux):
    with pytest.raises(ImportRefuse, match="erreur") as refus:
        importer("A001;x", entete="numero_candidat;siret")
    assert "colonnes manquantes" in str(refus.value.erreurs[0])
    session = deux[0].session
    session.verrouillee = True
    session.save()
    with pytest.raises(ImportRefuse) as refus:
        importer(f"A001;{SIRET};Imprimerie Nouvelle;FR;06/01/2025;28/02/2025;8;oui")
    assert str(refus.value.erreurs[0]) == "La délibération de la session 2026 est verrouillée : aucun import."


def test_la_commande_sort_en_erreur_et_liste_chaque_ligne_invalide(deux, tmp_path):
    fichier = tmp_path / "pfmp.csv"
    fichier.write_bytes(
        csv_bytes(ENTETE, "A001;123;Imprimerie;FR;06/01/2025;28/02/2025;8;oui", "B002;;Oficina;ES;x;28/02/2025;8;oui")
    )
    erreurs = io.StringIO()
    with pytest.raises(CommandError, match="Import refusé : 2 erreur"):
        call_command("importer_pfmp", "--session", "2026", str(fichier), stderr=erreurs)
    assert erreurs.getvalue().splitlines() == [
        "ligne 2 : SIRET « 123 » : 14 chiffres attendus (3 reçus)",
        "ligne 3 : date_debut « x » : date JJ/MM/AAAA attendue",
    ]
    assert not Periode.objects.exists()


def test_la_commande_importe_puis_bilan_pfmp_rend_le_json_par_candidat(deux, tmp_path):
    fichier = tmp_path / "pfmp.csv"
    fichier.write_bytes(
        csv_bytes(
            ENTETE,
            f"A001;{SIRET};Imprimerie Nouvelle;FR;06/01/2025;28/02/2025;8;oui",
            f"A001;{SIRET};Imprimerie Nouvelle;FR;03/11/2025;26/12/2025;8;oui",
            f"B002;{SIRET};Imprimerie Nouvelle;FR;03/11/2025;26/12/2025;7,5;non",
        )
    )
    sortie = io.StringIO()
    call_command("importer_pfmp", "--session", "2026", str(fichier), stdout=sortie)
    assert sortie.getvalue().startswith("Import terminé : 3 période(s) créée(s)")
    sortie = io.StringIO()
    call_command("bilan_pfmp", "--session", "2026", "--format", "json", stdout=sortie)
    bilan = {ligne["numero_candidat"]: ligne for ligne in json.loads(sortie.getvalue())}
    assert {k: bilan["A001"][k] for k in ("semaines_requises", "semaines_attestees", "conforme", "motifs")} == {
        "semaines_requises": "16",
        "semaines_attestees": "16",
        "conforme": True,
        "motifs": [],
    }
    assert {k: bilan["B002"][k] for k in ("semaines_requises", "semaines_attestees", "conforme")} == {
        "semaines_requises": "16",
        "semaines_attestees": "0",  # l'attestation de 7,5 semaines n'est pas signée
        "conforme": False,
    }
    assert bilan["B002"]["motifs"][0] == "0 semaine attestée sur 16 requises : il manque 16 semaines"
    assert any(m.startswith("attestation non signée par le tuteur") for m in bilan["B002"]["motifs"])


def test_bilan_pfmp_csv_et_session_inconnue(deux):
    sortie = io.StringIO()
    call_command("bilan_pfmp", "--session", "2026", "--format", "csv", "--appliquer", stdout=sortie)
    lignes = sortie.getvalue().splitlines()
    assert lignes[0].startswith("numero_candidat;voie;justificatif;semaines_requises;semaines_attestees")
    assert lignes[1].startswith("A001;scolaire;attestations;16;0;16;0;a_risque;non;non;")
    assert Blocage.objects.count() == 2  # --appliquer a posé les blocages
    with pytest.raises(CommandError, match="La session 1999 n'existe pas"):
        call_command("bilan_pfmp", "--session", "1999")
