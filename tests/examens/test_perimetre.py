"""Le périmètre d'écriture (examens.perimetre) : une régression par trou trouvé par la revue hostile.

Chaque test échoue sur le code d'avant : un gestionnaire du lycée 2 changeait les notes du lycée 1 par un import,
inscrivait des candidats au lycée 1, créait des établissements sans le savoir, apprenait quels numéros existaient
ailleurs, et déplaçait un candidat vers un établissement qu'il ne gère pas.
"""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from examens import perimetre, services
from examens.imports import ImportRefuse, importer_candidats, importer_notes
from examens.models import Candidat, Etablissement, Journal, Note
from pfmp.imports import importer_pfmp
from pfmp.models import Periode
from tests import fabriques
from tests.examens.outils import ENTETE_CANDIDATS, csv_bytes, ligne_candidat

pytestmark = pytest.mark.django_db

ENTETE_NOTES = "numero_candidat;unite;note"
ENTETE_PFMP = "numero_candidat;siret;organisation;pays;date_debut;date_fin;semaines;attestation_signee"


@pytest.fixture
def deux(comptes, settings, tmp_path):
    """Un candidat noté au lycée 1 (géré par « gest »), un au lycée 2 (géré par « gest2 »)."""
    settings.MEDIA_ROOT = str(tmp_path)
    a = fabriques.candidat(division=comptes.division_a, numero="A001")
    c = fabriques.candidat(division=comptes.division_c, numero="C001")
    Note.objects.create(candidat=a, unite="U31", valeur=Decimal("8"))
    return a, c


def uai(comptes, division):
    return getattr(comptes, division).etablissement.uai


def notes_de(numero) -> dict:
    return {n.unite: n.affichage for n in Note.objects.filter(candidat__numero=numero)}


# ---------------------------------------------------------------------------------------------------
# Import de notes
# ---------------------------------------------------------------------------------------------------


def test_un_gestionnaire_ne_change_pas_par_import_les_notes_d_un_autre_lycee(comptes, deux):
    with pytest.raises(ImportRefuse) as refus:
        importer_notes(
            contenu=csv_bytes(ENTETE_NOTES, "C001;U31;15", "A001;U31;20"),
            nom_fichier="n.csv",
            annee=2026,
            auteur=comptes.gestionnaire_autre,
        )
    assert [str(e) for e in refus.value.erreurs] == [
        "ligne 3 : numero_candidat « A001 » inconnu dans la session 2026 ou hors de votre périmètre"
    ]
    assert notes_de("A001") == {"U31": "8,00"} and notes_de("C001") == {}  # tout ou rien : la ligne 2 non plus


def test_inconnu_et_hors_perimetre_disent_la_meme_chose(comptes, deux):
    """Le message ne doit pas révéler quels numéros existent dans un autre établissement."""
    messages = {}
    for numero in ("A001", "ZZZ999"):
        with pytest.raises(ImportRefuse) as refus:
            importer_notes(
                contenu=csv_bytes(ENTETE_NOTES, f"{numero};U31;15"),
                nom_fichier="n.csv",
                annee=2026,
                auteur=comptes.gestionnaire_autre,
            )
        messages[numero] = str(refus.value.erreurs[0]).replace(numero, "N")
    assert messages["A001"] == messages["ZZZ999"]
    assert "hors de votre périmètre" in messages["A001"]


def test_l_import_de_notes_par_la_page_refuse_hors_perimetre_a_l_apercu(comptes, deux):
    client = comptes.client(comptes.gestionnaire_autre)
    fichier = SimpleUploadedFile("n.csv", csv_bytes(ENTETE_NOTES, "A001;U31;20"))
    reponse = client.post("/examens/sessions/2026/importer/", {"type": "notes", "fichier": fichier})
    page = reponse.content.decode()
    assert "hors de votre périmètre" in page and "jeton" not in reponse.context
    assert notes_de("A001") == {"U31": "8,00"}


def test_la_confirmation_reverifie_le_perimetre(comptes, deux):
    """Aperçu accepté, puis le gestionnaire perd l'établissement : la confirmation refuse et n'écrit rien."""
    client = comptes.client(comptes.gestionnaire)
    fichier = SimpleUploadedFile("n.csv", csv_bytes(ENTETE_NOTES, "A001;U31;20"))
    reponse = client.post("/examens/sessions/2026/importer/", {"type": "notes", "fichier": fichier})
    jeton = reponse.context["jeton"]
    comptes.division_a.etablissement.gestionnaires.remove(comptes.gestionnaire)
    page = client.post(f"/examens/sessions/2026/importer/{jeton}/confirmer/").content.decode()
    assert "hors de votre périmètre" in page
    assert notes_de("A001") == {"U31": "8,00"}


def test_le_gestionnaire_importe_les_notes_de_son_lycee(comptes, deux):
    bilan = importer_notes(
        contenu=csv_bytes(ENTETE_NOTES, "A001;U31;15"), nom_fichier="n.csv", annee=2026, auteur=comptes.gestionnaire
    )
    assert bilan.modifies == 1 and notes_de("A001") == {"U31": "15,00"}


# ---------------------------------------------------------------------------------------------------
# Import de candidats et création d'établissements
# ---------------------------------------------------------------------------------------------------


def test_un_gestionnaire_n_inscrit_pas_de_candidat_dans_un_autre_lycee(comptes, deux):
    with pytest.raises(ImportRefuse) as refus:
        importer_candidats(
            contenu=csv_bytes(ENTETE_CANDIDATS, ligne_candidat("N001", uai=uai(comptes, "division_a"))),
            nom_fichier="c.csv",
            annee=2026,
            auteur=comptes.gestionnaire_autre,
        )
    assert [str(e) for e in refus.value.erreurs] == [
        f"ligne 2 : UAI {uai(comptes, 'division_a')} : établissement hors de votre périmètre"
    ]
    assert not Candidat.objects.filter(numero="N001").exists()


def test_un_uai_inconnu_n_est_pas_cree_par_un_gestionnaire(comptes, deux):
    inconnu = fabriques.uai("0590001")
    with pytest.raises(ImportRefuse) as refus:
        importer_candidats(
            contenu=csv_bytes(ENTETE_CANDIDATS, ligne_candidat("N001", uai=inconnu)),
            nom_fichier="c.csv",
            annee=2026,
            auteur=comptes.gestionnaire,
        )
    assert [str(e) for e in refus.value.erreurs] == [
        f"ligne 2 : UAI {inconnu} inconnu : seul un administrateur crée un établissement"
    ]
    assert not Etablissement.objects.filter(uai=inconnu).exists()
    bilan = importer_candidats(
        contenu=csv_bytes(ENTETE_CANDIDATS, ligne_candidat("N001", uai=inconnu)),
        nom_fichier="c.csv",
        annee=2026,
        auteur=comptes.administrateur,
    )
    assert bilan.etablissements_crees == [inconnu]


def test_les_erreurs_de_perimetre_s_ajoutent_aux_autres_dans_l_ordre_des_lignes(comptes, deux):
    with pytest.raises(ImportRefuse) as refus:
        importer_candidats(
            contenu=csv_bytes(
                ENTETE_CANDIDATS,
                ligne_candidat("N001", uai=uai(comptes, "division_a")),
                ligne_candidat("N002", uai=uai(comptes, "division_c"), statut="x"),
                ligne_candidat("N003", uai=uai(comptes, "division_c")),
            ),
            nom_fichier="c.csv",
            annee=2026,
            auteur=comptes.gestionnaire_autre,
        )
    assert [e.ligne for e in refus.value.erreurs] == [2, 3]


def test_le_formulaire_de_creation_refuse_un_uai_inconnu_a_un_gestionnaire(comptes, deux):
    inconnu = fabriques.uai("0590001")
    reponse = comptes.client(comptes.gestionnaire).post(
        "/examens/sessions/2026/candidats/nouveau/",
        {
            "numero_candidat": "F001",
            "nom": "X",
            "prenom": "Y",
            "date_naissance": "28/02/2008",
            "uai": inconnu,
            "statut": "scolaire_public",
            "forme": "globale",
            "lv1": "en",
            "lv2": "es",
            "duree_cycle": "3",
        },
    )
    assert reponse.context["form"].errors["uai"] == [
        f"UAI {inconnu} inconnu : seul un administrateur crée un établissement"
    ]
    assert not Etablissement.objects.filter(uai=inconnu).exists()
    assert not Candidat.objects.filter(numero="F001").exists()


# ---------------------------------------------------------------------------------------------------
# Formulaire de modification
# ---------------------------------------------------------------------------------------------------


def fiche(candidat, **surcharges):
    return {
        "numero_candidat": candidat.numero,
        "nom": candidat.nom,
        "prenom": candidat.prenom,
        "date_naissance": candidat.date_naissance.strftime("%d/%m/%Y"),
        "uai": candidat.etablissement.uai,
        "statut": candidat.statut,
        "forme": candidat.forme,
        "lv1": candidat.lv1,
        "lv2": candidat.lv2,
        "duree_cycle": "3",
        **surcharges,
    }


def test_le_formulaire_de_modification_ne_deplace_pas_un_candidat_hors_du_perimetre(comptes, deux):
    a, _ = deux
    autre = uai(comptes, "division_c")
    reponse = comptes.client(comptes.gestionnaire).post(f"/examens/candidats/{a.pk}/modifier/", fiche(a, uai=autre))
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["uai"] == [f"UAI {autre} : établissement hors de votre périmètre"]
    a.refresh_from_db()
    assert a.etablissement == comptes.division_a.etablissement and a.division == comptes.division_a
    assert not Journal.objects.filter(action="candidat.modification").exists()


def test_l_administrateur_deplace_un_candidat(comptes, deux):
    a, _ = deux
    client = comptes.client(comptes.administrateur)
    reponse = client.post(f"/examens/candidats/{a.pk}/modifier/", fiche(a, uai=uai(comptes, "division_c")))
    assert reponse.status_code == 302
    a.refresh_from_db()
    assert a.etablissement == comptes.division_c.etablissement


def test_le_service_verifie_lui_meme_le_perimetre(comptes, deux):
    """Une future porte qui oublierait la vérification de la vue tombe sur celle du service."""
    a, c = deux
    propre = {
        "numero": c.numero,
        "nom": "X",
        "prenom": "Y",
        "date_naissance": c.date_naissance,
        "uai": uai(comptes, "division_c"),
        "division": "",
        "statut": c.statut,
        "forme": c.forme,
        "lv1": "en",
        "lv2": "es",
        "facultative1": "",
        "facultative2": "",
        "duree_cycle": 3,
        "positionnement_semaines": None,
        "chef_oeuvre": None,
    }
    with pytest.raises(perimetre.HorsPerimetre, match="hors de votre périmètre"):
        services.enregistrer_candidat(session=c.session, candidat=c, propre=propre, auteur=comptes.gestionnaire)
    with pytest.raises(perimetre.HorsPerimetre, match="seul un administrateur"):
        services.enregistrer_candidat(
            session=c.session,
            propre={**propre, "numero": "S001", "uai": fabriques.uai("0590003")},
            auteur=comptes.gestionnaire,
        )
    c.refresh_from_db()
    assert c.nom == "DURAND"


# ---------------------------------------------------------------------------------------------------
# PFMP
# ---------------------------------------------------------------------------------------------------


def test_l_import_pfmp_refuse_un_candidat_d_un_autre_lycee(comptes, deux):
    with pytest.raises(ImportRefuse) as refus:
        importer_pfmp(
            contenu=csv_bytes(ENTETE_PFMP, "A001;;Oficina;ES;06/01/2025;28/02/2025;8;oui"),
            nom_fichier="p.csv",
            annee=2026,
            auteur=comptes.gestionnaire_autre,
        )
    assert [str(e) for e in refus.value.erreurs] == [
        "ligne 2 : numero_candidat « A001 » inconnu dans la session 2026 ou hors de votre périmètre"
    ]
    assert not Periode.objects.exists()


def test_un_membre_de_commission_qui_n_enseigne_pas_la_division_n_ecrit_pas_le_dossier_pfmp(comptes, deux):
    """Un enseignant membre d'une commission de la division la voit (pour évaluer), sans en être le référent :
    il ne change pas les PFMP de ses candidats."""
    from examens.ccf import gabarits, saisie
    from examens.models import MembreCommission
    from referentiel.models import Referentiel

    a, _ = deux
    collegue = fabriques.utilisateur("collegue", "enseignant")
    saisie.enregistrer_commission(
        gabarit=gabarits.gabarits_actifs(Referentiel.objects.get(code="AGORA-2020"))["E31"],
        divisions=[comptes.division_a],
        membres=[
            (comptes.enseignant, MembreCommission.Qualite.ENSEIGNANT),
            (collegue, MembreCommission.Qualite.ENSEIGNANT),
        ],
        auteur=comptes.gestionnaire,
    )
    client = comptes.client(collegue)
    assert client.get(f"/pfmp/candidats/{a.pk}/").status_code == 200  # il lit le dossier
    assert client.get(f"/pfmp/candidats/{a.pk}/periodes/ajouter/").status_code == 403
    reponse = client.post(
        f"/pfmp/candidats/{a.pk}/periodes/ajouter/",
        {"organisation": "", "date_debut": "2025-01-06", "date_fin": "2025-02-28", "etat_convention": "a_signer"},
    )
    assert reponse.status_code == 403 and not Periode.objects.exists()


# ---------------------------------------------------------------------------------------------------
# Commandes : --utilisateur
# ---------------------------------------------------------------------------------------------------


def commande(nom, contenu, tmp_path, *options):
    fichier = tmp_path / "f.csv"
    fichier.write_bytes(contenu)
    sortie, erreurs = io.StringIO(), io.StringIO()
    call_command(nom, "--session", "2026", str(fichier), *options, stdout=sortie, stderr=erreurs)
    return sortie.getvalue()


def test_la_commande_au_nom_d_un_gestionnaire_reste_dans_son_perimetre(comptes, deux, tmp_path):
    erreurs = io.StringIO()
    fichier = tmp_path / "n.csv"
    fichier.write_bytes(csv_bytes(ENTETE_NOTES, "A001;U31;20"))
    with pytest.raises(CommandError, match="Import refusé : 1 erreur"):
        call_command("importer_notes", "--session", "2026", str(fichier), "--utilisateur", "gest2", stderr=erreurs)
    assert "hors de votre périmètre" in erreurs.getvalue()
    assert notes_de("A001") == {"U31": "8,00"}
    sortie = commande("importer_notes", csv_bytes(ENTETE_NOTES, "A001;U31;20"), tmp_path, "--utilisateur", "gest")
    assert sortie.endswith("au nom de gest\n") and notes_de("A001") == {"U31": "20,00"}
    assert Journal.objects.get(action="import.notes").auteur == "gest"


def test_la_commande_sans_utilisateur_agit_pour_le_systeme_et_le_journal_le_dit(comptes, deux, tmp_path):
    sortie = commande("importer_notes", csv_bytes(ENTETE_NOTES, "A001;U31;20"), tmp_path)
    assert "système (commande sans --utilisateur : droits d'administrateur)" in sortie
    entree = Journal.objects.get(action="import.notes")
    assert entree.auteur == "" and entree.apres["droits"] == perimetre.SYSTEME


@pytest.mark.parametrize(
    "identifiant, message", [("personne", "inconnu ou désactivé"), ("prof", "n'a pas le droit d'importer")]
)
@pytest.mark.parametrize("nom", ["importer_notes", "importer_candidats", "importer_pfmp"])
def test_la_commande_refuse_un_utilisateur_inconnu_ou_sans_droit(comptes, deux, tmp_path, nom, identifiant, message):
    with pytest.raises(CommandError, match=message):
        commande(nom, csv_bytes(ENTETE_NOTES, "A001;U31;20"), tmp_path, "--utilisateur", identifiant)
    assert notes_de("A001") == {"U31": "8,00"}


# ---------------------------------------------------------------------------------------------------
# Pages du jury et saisie : visible n'est pas modifiable
# ---------------------------------------------------------------------------------------------------


def test_un_gestionnaire_qui_enseigne_ailleurs_voit_mais_n_ecrit_pas(comptes, deux):
    """Le gestionnaire du lycée 2 enseigne aussi en division A : il lit le candidat, il n'en écrit rien."""
    a, _ = deux
    comptes.division_a.enseignants.add(comptes.gestionnaire_autre)
    client = comptes.client(comptes.gestionnaire_autre)
    assert client.get(f"/examens/candidats/{a.pk}/").status_code == 200
    assert client.post(f"/examens/candidats/{a.pk}/notes/U31/", {"note": "20"}).status_code == 403
    assert client.post(f"/examens/candidats/{a.pk}/jury/points/", {"points": "3", "motif": "x"}).status_code == 403
    assert client.get(f"/examens/candidats/{a.pk}/modifier/").status_code == 403
    assert notes_de("A001") == {"U31": "8,00"}
    a.refresh_from_db()
    assert a.points_jury == 0


def test_un_gestionnaire_membre_d_une_commission_ailleurs_ne_renvoie_ni_n_arrete_ses_grilles():
    """Membre d'une commission du lycée 1, le gestionnaire du lycée 2 la voit ; le renvoi et l'arrêt de la note,
    actes du bureau des examens et du jury, restent à ceux du lycée 1."""
    from django.urls import reverse

    from examens.ccf import circuit
    from examens.models import Grille, MembreCommission
    from tests.examens.test_grilles import grille_e31_complete, monde, valider

    m = monde()
    grille = valider(m, grille_e31_complete(m, niveau="TS"))
    circuit.transmettre_grille(grille=grille, version=grille.version, auteur=m.comptes.enseignant)
    MembreCommission.objects.create(
        commission=m.e31, utilisateur=m.comptes.gestionnaire_autre, qualite=MembreCommission.Qualite.ENSEIGNANT
    )
    client = m.comptes.client(m.comptes.gestionnaire_autre)
    args = [m.e31.pk, m.candidat.pk, 1]
    reponse = client.post(reverse("examens:grille-renvoyer", args=args), {"motif": "à revoir"})
    assert reponse.status_code == 403 and "hors de votre périmètre" in reponse.content.decode()
    reponse = client.post(reverse("examens:grille-arreter", args=args), {"note": "5", "motif": "jury"})
    assert reponse.status_code == 403
    assert Grille.objects.get().etat == "transmise" and Note.objects.get(candidat=m.candidat).valeur == Decimal(20)
    reponse = m.comptes.client(m.comptes.gestionnaire).post(
        reverse("examens:grille-renvoyer", args=args), {"motif": "à revoir"}
    )
    assert reponse.status_code == 302 and Grille.objects.get().etat == "brouillon"


def test_un_gestionnaire_membre_d_une_commission_ailleurs_ne_la_modifie_pas():
    from django.urls import reverse

    from examens.models import MembreCommission
    from tests.examens.test_grilles import monde

    m = monde()
    MembreCommission.objects.create(
        commission=m.e31, utilisateur=m.comptes.gestionnaire_autre, qualite=MembreCommission.Qualite.ENSEIGNANT
    )
    client = m.comptes.client(m.comptes.gestionnaire_autre)
    url = reverse("examens:commission-modifier", args=[m.e31.pk])
    assert client.get(reverse("examens:commission", args=[m.e31.pk])).status_code == 200  # il la voit
    assert client.get(url).status_code == 403
    assert client.post(url, {"nom": "prise", "divisions": [m.comptes.division_c.pk]}).status_code == 403
    m.e31.refresh_from_db()
    assert m.e31.nom == "" and list(m.e31.divisions.all()) == [m.comptes.division_a]
