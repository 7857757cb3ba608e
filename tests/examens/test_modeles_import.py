"""Les modèles d'import à télécharger : en-têtes, listes déroulantes tirées de ce que l'import valide, et un
modèle rempli d'une ligne valide qui s'importe tel quel."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from examens import imports, regles
from examens.models import Candidat, Note, Statut
from tests import fabriques
from tests.examens.outils import UAI_1

pytestmark = pytest.mark.django_db


def telecharger(client, sorte, extension):
    reponse = client.get(f"/examens/sessions/2026/importer/modele-{sorte}.{extension}")
    assert reponse.status_code == 200
    assert f'filename="modele-{sorte}-2026.{extension}"' in reponse["Content-Disposition"]
    return reponse.content


def listes(classeur) -> dict[str, list[str]]:
    """En-tête de colonne → valeurs de la liste déroulante (lues dans la feuille cachée qu'elle désigne)."""
    feuille = classeur.worksheets[0]
    entetes = [c.value for c in feuille[1]]
    resultat = {}
    for validation in feuille.data_validations.dataValidation:
        assert validation.type == "list"
        nom_feuille, plage = validation.formula1.split("!")
        cellules = classeur[nom_feuille.strip("'")][plage.replace("$", "")]
        colonne = str(validation.sqref).split(":")[0].rstrip("0123456789")
        rang = ord(colonne) - ord("A")
        resultat[entetes[rang]] = [c[0].value for c in cellules]
    return resultat


def test_le_modele_xlsx_des_candidats_a_l_en_tete_et_les_listes_de_la_validation(comptes):
    classeur = load_workbook(io.BytesIO(telecharger(comptes.client(comptes.gestionnaire), "candidats", "xlsx")))
    assert [c.value for c in classeur.worksheets[0][1]] == (
        imports.COLONNES_CANDIDATS + imports.COLONNES_CANDIDATS_FACULTATIVES
    )
    assert classeur["Listes"].sheet_state == "hidden"
    lues = listes(classeur)
    assert lues["statut"] == list(Statut.values)
    assert lues["forme"] == ["globale", "progressive"]
    assert lues["lv1"] == lues["lv2"] == imports.langues() and {"en", "es", "de", "it"} <= set(lues["lv1"])
    assert {"MOBILITE", "EPS", "MOBILITE|EPS", "LV:it"} <= set(lues["facultatives"])
    assert lues["duree_cycle"] == ["2", "3"]


def test_le_modele_xlsx_des_notes_liste_les_unites_du_reglement(comptes):
    classeur = load_workbook(io.BytesIO(telecharger(comptes.client(comptes.gestionnaire), "notes", "xlsx")))
    assert [c.value for c in classeur.worksheets[0][1]] == imports.COLONNES_NOTES + imports.COLONNES_NOTES_FACULTATIVES
    lues = listes(classeur)
    session = comptes.division_a.session
    assert lues["unite"] == list(imports.unites_du_reglement(session.reglement))
    assert {"U2", "U31", "U7"} <= set(lues["unite"])
    assert lues["note"] == list(regles.CODES_SAISIE) == ["ABS", "ABJ", "DIS", "NV"]
    assert lues["groupe"] == ["1", "2"] and lues["specialite_origine"] == ["AGORA", "GA"]


@pytest.mark.parametrize("sorte, colonnes", [("candidats", "numero_candidat;nom;prenom"), ("notes", "numero_candidat")])
def test_le_modele_csv_est_en_utf8_avec_bom_et_points_virgules(comptes, sorte, colonnes):
    contenu = telecharger(comptes.client(comptes.gestionnaire), sorte, "csv")
    assert contenu.startswith(b"\xef\xbb\xbf" + colonnes.encode())
    assert contenu.decode("utf-8-sig").count("\n") == 1


def test_modele_inconnu_ou_compte_sans_droit(comptes):
    client = comptes.client(comptes.gestionnaire)
    assert client.get("/examens/sessions/2026/importer/modele-eleves.xlsx").status_code == 404
    assert client.get("/examens/sessions/2026/importer/modele-notes.ods").status_code == 404
    assert client.get("/examens/sessions/1990/importer/modele-notes.xlsx").status_code == 404
    assert comptes.client(comptes.enseignant).get("/examens/sessions/2026/importer/modele-notes.csv").status_code == 403


def remplir(contenu: bytes, ligne: dict[str, str]) -> bytes:
    classeur = load_workbook(io.BytesIO(contenu))
    feuille = classeur.worksheets[0]
    entetes = [c.value for c in feuille[1]]
    for colonne, valeur in ligne.items():
        feuille.cell(row=2, column=entetes.index(colonne) + 1, value=valeur)
    tampon = io.BytesIO()
    classeur.save(tampon)
    return tampon.getvalue()


def importer_par_la_page(client, sorte, nom, contenu):
    fichier = SimpleUploadedFile(nom, contenu)
    reponse = client.post("/examens/sessions/2026/importer/", {"type": sorte, "fichier": fichier})
    assert "erreurs" not in reponse.context, reponse.context.get("erreurs")
    client.post(f"/examens/sessions/2026/importer/{reponse.context['jeton']}/confirmer/")


def test_le_modele_xlsx_rempli_d_une_ligne_s_importe(comptes):
    client = comptes.client(comptes.gestionnaire)
    ligne = {
        "numero_candidat": "M001",
        "nom": "ÉTIENNE",
        "prenom": "Zoé",
        "date_naissance": "14/03/2008",
        "uai": UAI_1,
        "statut": "scolaire_public",
        "forme": "globale",
        "lv1": "en",
        "lv2": "es",
        "facultatives": "LV:it|EPS",
        "division": "TAGO1",
    }
    importer_par_la_page(client, "candidats", "modele.xlsx", remplir(telecharger(client, "candidats", "xlsx"), ligne))
    candidat = Candidat.objects.get(numero="M001")
    assert (candidat.prenom, candidat.facultative1, candidat.division.nom) == ("Zoé", "LV:it", "TAGO1")

    notes = remplir(telecharger(client, "notes", "xlsx"), {"numero_candidat": "M001", "unite": "U2", "note": "12,5"})
    importer_par_la_page(client, "notes", "notes.xlsx", notes)
    assert str(Note.objects.get(candidat=candidat, unite="U2").valeur) == "12.500"


def test_le_modele_csv_rempli_d_une_ligne_s_importe(comptes):
    client = comptes.client(comptes.gestionnaire)
    candidat = fabriques.candidat(division=comptes.division_a, numero="M002")
    modele = telecharger(client, "notes", "csv")
    importer_par_la_page(client, "notes", "notes.csv", modele + b"M002;U31;ABJ;;;\r\n")
    assert Note.objects.get(candidat=candidat, unite="U31").etat == "ABJ"


def test_le_classeur_a_une_feuille_d_aide_qui_dit_ce_que_veut_dire_chaque_code(comptes):
    client = comptes.client(comptes.gestionnaire)
    candidats = load_workbook(io.BytesIO(telecharger(client, "candidats", "xlsx")))
    assert candidats.sheetnames == ["Candidats", "Aide", "Listes"]
    aide = {(ligne[0], ligne[1]): ligne[2] for ligne in candidats["Aide"].iter_rows(min_row=2, values_only=True)}
    assert aide[("statut", "scolaire_public")] == "Scolaire (public)"
    assert aide[("lv1 / lv2", "de")] == "Allemand"
    notes = load_workbook(io.BytesIO(telecharger(client, "notes", "xlsx")))
    aide = {(ligne[0], ligne[1]): ligne[2] for ligne in notes["Aide"].iter_rows(min_row=2, values_only=True)}
    assert aide[("note", "ABJ")] == "absence justifiée" and "situations professionnelles" in aide[("unite", "U2")]
