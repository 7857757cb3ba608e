"""Rendu PDF (WeasyPrint) : le texte des documents, les polices livrées, rien lu hors de static/."""

import io
import re
import socket
from decimal import Decimal
from types import SimpleNamespace

import pypdf
import pytest

from agora import pdf
from examens import services
from examens.ccf import circuit, saisie
from examens.documents import impression
from examens.models import Grille, Note
from tests import fabriques
from tests.examens.outils import UNITES
from tests.examens.test_grilles import monde, remplir, valider

pytestmark = pytest.mark.django_db

NIVEAUX_E31 = ["TI", "I", "S", "TS", "NE", "S", "TS", "I", "S", "TS", "TS", "S"]


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def texte_pdf(contenu: bytes) -> str:
    """Le texte du PDF, espaces et retours à la ligne réduits à une espace (les cellules se coupent en lignes)."""
    lecteur = pypdf.PdfReader(io.BytesIO(contenu))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in lecteur.pages))


def reduit(texte: str) -> str:
    return re.sub(r"\s+", " ", texte).strip()


def grille_remplie():
    m = monde()
    g = remplir(
        m.e31,
        m.candidat,
        m.comptes.enseignant,
        NIVEAUX_E31,
        date_situation="2026-03-12",
        appreciation="Très bon accueil téléphonique.",
    )
    premiere = m.e31.gabarit.lignes.order_by("ordre").first()
    saisie.enregistrer_champ(
        commission=m.e31,
        candidat=m.candidat,
        situation=1,
        version=g.version,
        champ="observation",
        cle=str(premiere.pk),
        valeur="Reformulation à travailler",
        auteur=m.comptes.enseignant,
    )
    return m, Grille.objects.get(pk=g.pk)


def rendre_grille(g: Grille):
    donnees = impression.donnees_grilles(impression.grilles_a_rendre(Grille.objects.filter(pk=g.pk)))[0]
    return donnees, pdf.rendre_document("grille", donnees)


def test_la_grille_imprime_le_candidat_chaque_competence_du_bloc_son_niveau_et_la_note():
    m, g = grille_remplie()
    donnees, rendu = rendre_grille(g)
    assert rendu.contenu[:5] == b"%PDF-" and rendu.pages == 2
    texte = texte_pdf(rendu.contenu)
    assert "MARTIN Léa" in texte and m.candidat.numero in texte and "Lycée Jean Jaurès" in texte
    lignes = list(m.e31.gabarit.lignes.select_related("competence").order_by("ordre"))
    assert len(lignes) == 12
    for ligne, niveau in zip(lignes, NIVEAUX_E31, strict=True):
        # « 3 Produire, dans un environnement numérique, … ✓ S » : la compétence puis la case cochée.
        motif = re.escape(f"{ligne.ordre} {reduit(ligne.competence.intitule)}") + r" ✓ " + niveau + r"\b"
        assert re.search(motif, texte), (ligne.ordre, niveau)
    assert "Reformulation à travailler" in texte
    assert "Efficacité de la prise de notes" in texte  # un indicateur de l'activité 1.1
    # 11 lignes évaluées (NE hors calcul) : 0+1+2+3 + 2+3+1+2+3+3+2 = 22 points sur 33 → 13,33… → 13,50
    assert g.note_suggeree == Decimal("13.50")
    assert "Note suggérée 13,50 /20" in texte
    assert "20 × 22 / 33" in texte and "arrondi au demi-point le plus proche : 13,50" in texte
    assert "Très bon accueil téléphonique." in texte
    assert "Page 1 / 2" in texte and "Page 2 / 2" in texte
    assert "Visa du jury" in texte and "Collegue" in texte  # les membres de la commission, leurs cases
    assert "PROVISOIRE" in texte  # brouillon : pas encore transmise


def test_une_grille_transmise_n_est_plus_provisoire_et_montre_les_confirmations():
    m, g = grille_remplie()
    g = valider(m, g)
    texte = texte_pdf(rendre_grille(g)[1].contenu)
    assert "A confirmé la grille le" in texte and "PROVISOIRE" in texte  # validée, pas encore transmise
    g = circuit.transmettre_grille(grille=g, version=g.version, auteur=m.comptes.enseignant)
    texte = texte_pdf(rendre_grille(g)[1].contenu)
    assert "PROVISOIRE" not in texte and "transmise au jury" in texte
    assert "Note proposée par la commission 13,50" in texte


def test_les_polices_livrees_sont_incorporees():
    m, g = grille_remplie()
    lecteur = pypdf.PdfReader(io.BytesIO(rendre_grille(g)[1].contenu))
    polices = set()
    for page in lecteur.pages:
        for police in page["/Resources"]["/Font"].values():
            police = police.get_object()
            polices.add(str(police["/BaseFont"]))
            descendantes = police.get("/DescendantFonts")
            descripteur = (descendantes[0].get_object() if descendantes else police)["/FontDescriptor"]
            assert any(cle in descripteur for cle in ("/FontFile", "/FontFile2", "/FontFile3")), police
    # Les @font-face de impression.css (DejaVu Sans Condensed livrée dans static/fonts), jamais une police du système.
    assert polices and all("Agora-Sans" in p for p in polices), polices


def _noter(candidat, valeur="12"):
    for unite in UNITES:
        Note.objects.create(candidat=candidat, unite=unite, valeur=Decimal(valeur))


def test_le_releve_imprime_les_notes_le_resultat_et_provisoire_avant_le_verrouillage(comptes):
    c = fabriques.candidat(division=comptes.division_a, nom="PETIT", prenom="Hugo")
    _noter(c, "14.5")
    services.deliberer(session=c.session)
    donnees = impression.donnees_releve(impression.candidats_a_imprimer(type(c).objects.filter(pk=c.pk)).get())
    texte = texte_pdf(pdf.rendre_document("releve", donnees).contenu)
    assert "PETIT Hugo" in texte and c.numero in texte and "Relevé de notes" in texte
    assert "U31" in texte and "14,50" in texte
    assert "Admis" in texte and "mention Bien" in texte and "moyenne : 14,50" in texte
    assert "Document provisoire" in texte and "PROVISOIRE" in texte


def test_le_proces_verbal_a_une_ligne_par_candidat_et_les_totaux(comptes):
    for i, note in enumerate(["12", "8", "15"]):
        _noter(fabriques.candidat(division=comptes.division_a, nom=f"NOM{i}"), note)
    session = fabriques.session()
    services.deliberer(session=session)
    perimetre = impression.perimetre_pv(comptes.administrateur, session)
    texte = texte_pdf(pdf.rendre_document("pv", impression.donnees_pv(session, perimetre)).contenu)
    for i in range(3):
        assert f"NOM{i} Léa" in texte
    assert "Totaux : 3 candidats" in texte and "Admis : 2" in texte and "Ajourné : 1" in texte
    assert "Le président du jury" in texte and "Page 1 / 1" in texte


def test_le_fetcher_refuse_le_reseau_et_les_fichiers_hors_de_static(tmp_path):
    fetcher = pdf._fetcher_classe()()
    for url in ("http://example.com/logo.png", "https://example.com/x.css", "ftp://example.com/a", "data:,x"):
        with pytest.raises(pdf.RessourceRefusee):
            fetcher(url)
    secret = tmp_path / "secret.txt"
    secret.write_text("confidentiel")
    with pytest.raises(pdf.RessourceRefusee):
        fetcher(secret.as_uri())
    with pytest.raises(pdf.RessourceRefusee):
        fetcher(pdf.chemin_statique("css/impression.css").as_uri() + "/../../../../etc/passwd")
    assert fetcher(pdf.chemin_statique("fonts/DejaVuSansCondensed.ttf").as_uri()).read()[:4] == b"\x00\x01\x00\x00"


def test_un_document_qui_cite_une_adresse_externe_se_rend_sans_toucher_au_reseau(monkeypatch):
    def interdit(*args, **kwargs):
        raise AssertionError("connexion réseau pendant le rendu")

    monkeypatch.setattr(socket, "create_connection", interdit)
    monkeypatch.setattr(socket.socket, "connect", interdit)
    rendu = pdf.rendre_html(
        '<p>Logo</p><img src="https://example.com/logo.png"><link rel="stylesheet" href="http://example.com/a.css">'
    )
    assert rendu.contenu.startswith(b"%PDF") and rendu.pages == 1


def test_l_attestation_pfmp_se_rend_depuis_un_instantane_sans_importer_pfmp():
    import datetime

    attestation = SimpleNamespace(
        numero="PFMP-000042",
        candidat_numero="026000001",
        candidat_nom="MARTIN",
        candidat_prenom="Léa",
        etablissement="Lycée Jean Jaurès",
        organisation_nom="Mairie de Pantin",
        organisation_siret="21930055500014",
        organisation_adresse="84-88 avenue du Général Leclerc\n93500 Pantin",
        nom_pays="France",
        tuteur="Mme Durand",
        tuteur_fonction="responsable RH",
        date_debut=datetime.date(2026, 1, 5),
        date_fin=datetime.date(2026, 2, 6),
        semaines=Decimal("5.0"),
        activites=[{"code": "3.1", "intitule": "Suivi de la carrière du personnel"}],
        observations="",
        signee=True,
        date_signature=datetime.date(2026, 2, 6),
        signataire="Mme Durand",
        saisie_le=datetime.datetime(2026, 2, 9, 10, 0),
        remplace=None,
    )
    texte = texte_pdf(pdf.rendre_attestation_pfmp(attestation).contenu)
    assert "Attestation de période de formation en milieu professionnel" in texte
    assert "MARTIN Léa" in texte and "Mairie de Pantin" in texte and "du 05/01/2026 au 06/02/2026" in texte
    assert "Signée le 06/02/2026 par Mme Durand" in texte and "3.1 Suivi de la carrière du personnel" in texte


def test_une_grille_ponctuelle_sans_dossier_vaut_zero_et_le_dit():
    m = monde()
    g = remplir(m.e31, m.ponctuel, m.comptes.enseignant, [], date_situation="2026-05-20", dossier_non_produit="1")
    texte = texte_pdf(rendre_grille(g)[1].contenu)
    assert "PETIT Léa" in texte and "ponctuel (" in texte
    assert "Dossier non produit : la note est 0." in texte
    assert "Note proposée par la commission 0,00" in texte


def test_chaque_situation_de_e2_a_sa_grille():
    m = monde()
    for situation, niveau in ((1, "S"), (2, "TS")):
        g = remplir(m.e2, m.stagiaire, m.comptes.enseignant, niveau, situation=situation, date_situation="2026-04-02")
        donnees, rendu = rendre_grille(g)
        texte = texte_pdf(rendu.contenu)
        assert f"Grille d'évaluation E2 — situation {situation}" in texte and "ROUX Léa" in texte
        assert texte.count(f"✓ {niveau}") == m.e2.gabarit.lignes.count() == 13
        assert impression.nom_fichier_grille(donnees) == f"TAGO1/grille-E2-s{situation}-{m.stagiaire.numero}-ROUX.pdf"
