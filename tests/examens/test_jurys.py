"""Les jurys : chacun délibère, verrouille et valide son procès-verbal pour ses établissements, sans bloquer les
autres ; les rôles de l'examen (gestionnaire d'établissement, division des examens, président, membre) et leurs
droits, vérifiés au service, à la page et par le prédicat `regles_acces.peut`."""

import io
from decimal import Decimal

import pypdf
import pytest
from django.test import Client

from examens import imports, perimetre, services
from examens.documents import emission
from examens.jurys import services as jurys
from examens.jurys.regles_acces import peut
from examens.models import DocumentEmis, Journal, Note
from tests import fabriques
from tests.examens.outils import UNITES, csv_bytes, lignes_notes
from tests.examens.test_pdf import texte_pdf

pytestmark = pytest.mark.django_db


def _saisie(candidat, unite="U2", valeur="12"):
    return services.SaisieNote(candidat=candidat, unite=unite, etat="note", valeur=Decimal(valeur))


def _noter(candidat, valeur="12"):
    services.ecrire_notes(saisies=[_saisie(candidat, u, valeur) for u in UNITES], source="test")


@pytest.fixture
def monde():
    """Deux lycées, chacun son jury (Paris pour le lycée 1, Créteil pour le lycée 2), un candidat noté dans chacun."""
    c = fabriques.comptes()
    lycee1, lycee2 = c.division_a.etablissement, c.division_c.etablissement
    paris = fabriques.jury_de(lycee1, c.division_a.session, "Paris", "PARIS")
    creteil = fabriques.jury_de(lycee2, c.division_c.session, "Créteil", "CRETEIL")
    un = fabriques.candidat(division=c.division_a, numero="J1000001", nom="UN")
    deux = fabriques.candidat(division=c.division_c, numero="J2000001", nom="DEUX")
    _noter(un)
    _noter(deux)
    return c, paris, creteil, un, deux


def test_verrouiller_un_jury_ne_bloque_pas_l_autre(monde):
    c, paris, creteil, un, deux = monde
    jurys.verrouiller_jury(jury=paris.jury, auteur=paris.president)
    with pytest.raises(services.OperationRefusee, match="jury Paris est verrouillée"):
        services.ecrire_notes(saisies=[_saisie(un, "U2", "15")], source="test")
    assert Note.objects.get(candidat=un, unite="U2").valeur == Decimal("12")
    # Le lycée 2 continue : son gestionnaire saisit, son jury délibère puis verrouille à son tour.
    services.saisir_note(candidat=deux, unite="U2", texte="15", auteur=c.gestionnaire_autre)
    assert Note.objects.get(candidat=deux, unite="U2").valeur == Decimal("15")
    jurys.verrouiller_jury(jury=creteil.jury, auteur=creteil.president)
    paris.jury.refresh_from_db()
    creteil.jury.refresh_from_db()
    assert paris.jury.verrouille and creteil.jury.verrouille
    assert not un.session.__class__.objects.get(pk=un.session_id).verrouillee  # la session n'est pas figée


def test_un_jury_verrouille_fige_aussi_points_controle_fiche_et_import(monde, settings):
    c, paris, _, un, _ = monde
    jurys.verrouiller_jury(jury=paris.jury, auteur=paris.academie)
    with pytest.raises(services.OperationRefusee, match="jury Paris"):
        services.attribuer_points_jury(candidat=un, points=Decimal(1), motif="assiduité", auteur=paris.president)
    with pytest.raises(services.OperationRefusee, match="jury Paris"):
        services.choisir_controle(candidat=un, scientifique="U11", francais_hg="U51", auteur=paris.president)
    bilan = None
    with pytest.raises(imports.ImportRefuse) as refus:
        bilan = imports.importer_notes(
            contenu=csv_bytes("numero_candidat;unite;note", *lignes_notes("J1000001", ["9"] * 12)[:1]),
            nom_fichier="notes.csv",
            annee=2026,
            auteur=c.gestionnaire,
        )
    assert bilan is None
    assert "ligne 2" in str(refus.value.erreurs[0]) or refus.value.erreurs[0].ligne == 2
    assert "jury Paris est verrouillée" in refus.value.erreurs[0].message


def test_le_gestionnaire_d_un_lycee_ne_delibere_ni_ne_verrouille(monde):
    c, paris, _, un, _ = monde
    client = Client()
    client.force_login(c.gestionnaire)
    assert client.get("/examens/sessions/2026/deliberation/").status_code == 403
    assert client.post(f"/examens/jurys/{paris.jury.pk}/verrouiller/").status_code == 403
    with pytest.raises(services.OperationRefusee, match="acte d'administrateur"):
        services.verrouiller(session=un.session, auteur=c.gestionnaire)
    with pytest.raises(services.OperationRefusee, match="Seuls le président du jury et la division des examens"):
        jurys.verrouiller_jury(jury=paris.jury, auteur=c.gestionnaire)
    paris.jury.refresh_from_db()
    assert not paris.jury.verrouille


def test_qui_peut_quoi_sur_un_jury(monde):
    c, paris, creteil, _, _ = monde
    j = paris.jury
    attendu = {
        # action: (administrateur, académie de Paris, académie de Créteil, président, membre, président d'un autre jury)
        "voir": (True, True, False, True, True, False),
        "deliberer": (True, True, False, True, True, False),
        "verrouiller": (True, True, False, True, False, False),
        "deverrouiller": (True, True, False, False, False, False),
        "valider_pv": (False, False, False, True, False, False),
        "organiser": (True, True, False, False, False, False),
    }
    qui = (c.administrateur, paris.academie, creteil.academie, paris.president, paris.membre, creteil.president)
    for action, droits in attendu.items():
        assert tuple(peut(u, action, j) for u in qui) == droits, action
    assert not peut(c.gestionnaire, "voir", j) and not peut(c.enseignant, "deliberer", j)


def test_perimetres_par_role(monde):
    c, paris, creteil, un, deux = monde
    assert set(perimetre.candidats_visibles(paris.membre)) == {un}
    assert set(perimetre.candidats_visibles(creteil.president)) == {deux}
    assert set(perimetre.candidats_visibles(paris.academie)) == {un}
    assert set(perimetre.candidats_deliberables(paris.membre)) == {un}
    assert set(perimetre.candidats_deliberables(c.gestionnaire)) == set()  # il écrit ses candidats, sans délibérer
    assert set(perimetre.candidats_ecrivables(paris.academie)) == {un}
    assert set(perimetre.candidats_ecrivables(paris.president)) == set()  # un juré ne saisit pas de notes
    assert list(perimetre.jurys_visibles(paris.academie)) == [paris.jury]


def test_le_jure_agit_sur_ses_candidats_par_les_pages_et_pas_ailleurs(monde):
    _, paris, _, un, deux = monde
    client = Client()
    client.force_login(paris.membre)
    r = client.post(f"/examens/candidats/{un.pk}/jury/points/", {"points": "1", "motif": "assiduité"})
    assert r.status_code == 302
    un.refresh_from_db()
    assert un.points_jury == Decimal(1)
    r = client.post(f"/examens/candidats/{deux.pk}/jury/points/", {"points": "1", "motif": "assiduité"})
    assert r.status_code == 404  # un candidat d'un autre jury ne se révèle pas
    deux.refresh_from_db()
    assert deux.points_jury == 0
    page = client.get("/examens/sessions/2026/deliberation/")  # son seul jury, sans avoir à le choisir
    assert page.status_code == 200 and page.context["jury"] == paris.jury
    assert [r.candidat for r in page.context["resultats"]] == [un]


def test_le_president_valide_le_pv_apres_le_verrouillage_et_le_pv_l_imprime(monde):
    c, paris, creteil, un, _ = monde
    with pytest.raises(services.OperationRefusee, match="Verrouillez d'abord"):
        jurys.valider_proces_verbal(jury=paris.jury, auteur=paris.president)
    jurys.verrouiller_jury(jury=paris.jury, auteur=paris.president)
    for intrus in (paris.membre, paris.academie, c.administrateur, creteil.president):
        with pytest.raises(services.OperationRefusee, match="Seul le président"):
            jurys.valider_proces_verbal(jury=paris.jury, auteur=intrus)
    # Émettre avant la validation est refusé : le PV d'un jury porte la validation de son président.
    with pytest.raises(services.OperationRefusee, match="pas encore validé"):
        emission.emettre_pv(session=un.session, auteur=paris.president, jury=paris.jury)
    jury = jurys.valider_proces_verbal(jury=paris.jury, auteur=paris.president)
    assert jury.pv_valide_par == paris.president and jury.pv_valide_le is not None
    entree = Journal.objects.get(action="jury.validation_pv")
    assert (entree.auteur, entree.objet) == (paris.president.username, "jury Paris")

    client = Client()
    client.force_login(paris.president)
    page = client.get(f"/examens/sessions/2026/proces-verbal/?jury={paris.jury.pk}").content.decode()
    assert "jury Paris" in page and "validé par le président du jury" in page
    document, cree = emission.emettre_pv(session=un.session, auteur=paris.president, jury=paris.jury)
    assert cree and document.objet == f"jury-{paris.jury.pk}" and document.type == DocumentEmis.Type.PROCES_VERBAL
    texte = texte_pdf(bytes(document.contenu))
    assert "Jury Paris" in texte and "J1000001" in texte and "J2000001" not in texte
    assert "validé dans l'application par le président du jury" in texte
    assert len(pypdf.PdfReader(io.BytesIO(bytes(document.contenu))).pages) >= 1
    # Le président d'un autre jury ne voit pas ce document.
    assert emission.document_visible(paris.membre, document)
    assert not emission.document_visible(creteil.president, document)


def test_deverrouiller_un_jury_exige_un_motif_et_annule_la_validation(monde):
    _, paris, _, _, _ = monde
    jurys.verrouiller_jury(jury=paris.jury, auteur=paris.president)
    jurys.valider_proces_verbal(jury=paris.jury, auteur=paris.president)
    with pytest.raises(services.OperationRefusee, match="division des examens"):
        jurys.deverrouiller_jury(jury=paris.jury, auteur=paris.president, motif="erreur de saisie")
    with pytest.raises(services.OperationRefusee, match="motif"):
        jurys.deverrouiller_jury(jury=paris.jury, auteur=paris.academie, motif="  ")
    jurys.deverrouiller_jury(jury=paris.jury, auteur=paris.academie, motif="erreur de report U2")
    paris.jury.refresh_from_db()
    assert not paris.jury.verrouille and paris.jury.pv_valide_le is None and paris.jury.pv_valide_par is None
    assert Journal.objects.get(action="jury.deverrouillage").motif == "erreur de report U2"


def test_composer_un_jury(monde):
    c, paris, creteil, _, _ = monde
    lycee1, lycee2 = c.division_a.etablissement, c.division_c.etablissement
    session = c.division_a.session
    with pytest.raises(jurys.ErreurJury, match="relève déjà du jury Paris") as e:
        jurys.enregistrer_jury(
            session=session,
            nom="Autre",
            president=None,
            membres=[],
            etablissements=[lycee1],
            auteur=c.administrateur,
        )
    assert e.value.champ == "etablissements"
    with pytest.raises(perimetre.HorsPerimetre):
        jurys.enregistrer_jury(
            session=session,
            nom="Créteil",
            president=None,
            membres=[],
            etablissements=[lycee2],
            auteur=paris.academie,
            jury=creteil.jury,
        )
    jury = jurys.enregistrer_jury(
        session=session,
        nom="Paris centre",
        president=paris.president,
        membres=[paris.membre, paris.president],  # le président n'est pas aussi « membre »
        etablissements=[lycee1],
        auteur=paris.academie,
        jury=paris.jury,
    )
    assert jury.nom == "Paris centre" and list(jury.membres.all()) == [paris.membre]
    entree = Journal.objects.get(action="jury.modification")
    assert entree.avant["nom"] == "Paris" and entree.apres["nom"] == "Paris centre"


def test_le_formulaire_de_jury_garde_les_valeurs_et_dit_l_erreur_a_cote_du_champ(monde):
    c, paris, _, _, _ = monde
    client = Client()
    client.force_login(c.administrateur)
    r = client.post(
        "/examens/sessions/2026/jurys/nouveau/",
        {"nom": "Doublon", "etablissements": [c.division_a.etablissement.pk]},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "relève déjà du jury Paris" in html and 'value="Doublon"' in html


def test_une_grille_d_un_jury_verrouille_est_figee(monde):
    from examens.ccf import lectures

    c, paris, _, _, _ = monde
    jurys.verrouiller_jury(jury=paris.jury, auteur=paris.president)
    d = lectures.droits(
        c.enseignant,
        session=c.division_a.session,
        etablissement_id=c.division_a.etablissement_id,
        commission_id=0,  # aucune commission : pas membre
        grille=None,
    )
    assert not d.modifier and "jury Paris est verrouillée" in d.raison


def test_les_jurys_verrouilles_d_une_paire_ou_de_plusieurs_disent_la_meme_chose(monde):
    """services.jurys_verrouilles lit une seule paire (session, établissement) par la requête compilée de
    jury_verrouille, plusieurs par l'ORM : les deux chemins donnent la même réponse, avant et après un verrouillage."""
    _, paris, creteil, un, deux = monde
    paires = [(un.session_id, un.etablissement_id), (deux.session_id, deux.etablissement_id)]

    def par_paire():
        return [services.jurys_verrouilles([s], [e]) for s, e in paires]

    assert par_paire() == [{}, {}] and services.jurys_verrouilles(*zip(*paires, strict=True)) == {}
    jurys.verrouiller_jury(jury=paris.jury, auteur=paris.president)
    assert par_paire() == [{paires[0]: "Paris"}, {}]
    assert services.jurys_verrouilles(*zip(*paires, strict=True)) == {paires[0]: "Paris"}
    jurys.verrouiller_jury(jury=creteil.jury, auteur=creteil.president)
    assert par_paire() == [{paires[0]: "Paris"}, {paires[1]: "Créteil"}]
    assert services.jurys_verrouilles(*zip(*paires, strict=True)) == {paires[0]: "Paris", paires[1]: "Créteil"}
    assert services.jurys_verrouilles([], []) == {}
