"""Procès-verbal long rendu par parties (agora.pdf.rendre_pv) : mémoire bornée par la taille d'une partie, document
assemblé identique page pour page à un rendu d'un seul tenant, numérotation « Page x / y » sur le document entier,
et le même mécanisme pour la page, l'émission et les workers."""

import hashlib
import io
import re

import pypdf
import pytest
from django.urls import reverse
from weasyprint import HTML

from agora import pdf
from examens import services
from examens.documents import impression, lots
from examens.models import DocumentEmis, ExportLot, FichierExport
from tests import fabriques
from tests.examens.test_documents import jouer_la_file, session_deliberee

pytestmark = pytest.mark.django_db

PARTIE = 60  # lignes par partie dans ces tests : ≈ 1,5 page, pour que chaque partie reporte sa dernière page


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def mises_en_page(monkeypatch):
    """Le nombre de pages de chaque mise en page WeasyPrint faite pendant le test."""
    pages: list[int] = []
    origine = HTML.render

    def espion(self, *args, **kwargs):
        document = origine(self, *args, **kwargs)
        pages.append(len(document.pages))
        return document

    monkeypatch.setattr(HTML, "render", espion)
    return pages


def textes_des_pages(contenu: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(contenu)).pages]


def test_un_long_proces_verbal_est_rendu_par_parties_assemblees_page_pour_page(comptes, monkeypatch, mises_en_page):
    monkeypatch.setattr(pdf, "PV_LIGNES_PAR_PARTIE", PARTIE)
    candidats = [fabriques.candidat(division=comptes.division_a, nom=f"NOM{i:03d}") for i in range(170)]
    session = fabriques.session()
    donnees = impression.donnees_pv(session, impression.perimetre_pv(comptes.administrateur, session))

    rendu = pdf.rendre_document("pv", donnees)

    # Aucune mise en page ne porte tout le document : la mémoire de pointe suit la partie, pas la session.
    contenu = [n for n in mises_en_page if n < rendu.pages]
    assert len(contenu) >= 3 and len(mises_en_page) == len(contenu) + 1  # + les numéros de page, une fois
    assert max(mises_en_page[:-1]) <= 2 and rendu.pages >= 4
    pages = textes_des_pages(rendu.contenu)
    assert len(pages) == rendu.pages and rendu.sha256 == hashlib.sha256(rendu.contenu).hexdigest()

    # Chaque ligne une fois, dans l'ordre des numéros, et la numérotation continue sur tout le document.
    texte = " ".join(pages)
    positions = [texte.index(f"{c.numero} NOM{i:03d} Léa") for i, c in enumerate(candidats)]
    assert positions == sorted(positions)
    assert all(texte.count(c.numero) == 1 for c in candidats)
    for numero, page in enumerate(pages, start=1):
        assert f"Page {numero} / {len(pages)}" in page and page.count("Page ") == 1
        assert "Totaux : 170 candidats" in page  # pied du tableau répété sur chaque page, comme d'un seul tenant
    # En-tête du document une fois, en tête ; validation et signatures une fois, à la fin.
    assert texte.count("Baccalauréat professionnel") == 1 and "Baccalauréat professionnel" in pages[0]
    assert texte.count("Document provisoire") == 1 and "Document provisoire" in pages[0]
    assert texte.count("Le président du jury") == 1 and "Le président du jury" in pages[-1]
    assert all("Procès-verbal de délibération · session 2026" in page for page in pages)  # titre courant

    # Page pour page, le même document qu'un rendu d'un seul tenant (l'ancien rendu) : mêmes lignes aux mêmes pages.
    entier = textes_des_pages(pdf.rendre(pdf.GABARITS["pv"], {"d": donnees}).contenu)
    assert len(entier) == len(pages)
    for page, reference in zip(pages, entier, strict=True):
        assert sorted(page.split(" ")) == sorted(reference.split(" "))


def test_un_proces_verbal_court_reste_un_seul_rendu(comptes, mises_en_page):
    for i in range(3):
        fabriques.candidat(division=comptes.division_a, nom=f"NOM{i}")
    session = fabriques.session()
    donnees = impression.donnees_pv(session, impression.perimetre_pv(comptes.administrateur, session))
    rendu = pdf.rendre_document("pv", donnees)
    assert mises_en_page == [1]  # une seule mise en page, numérotée par WeasyPrint : aucun assemblage
    assert "Page 1 / 1" in textes_des_pages(rendu.contenu)[0]


def test_la_page_le_worker_et_l_emission_rendent_le_proces_verbal_par_le_meme_mecanisme(comptes, monkeypatch):
    """Une ligne par partie : la page (provisoire), puis le worker qui émet ; le fichier émis est celui livré."""
    monkeypatch.setattr(pdf, "PV_LIGNES_PAR_PARTIE", 1)
    session, _ = session_deliberee(comptes)
    client = comptes.client(comptes.gestionnaire)
    r = client.get(reverse("examens:proces-verbal-pdf", args=[2026]))
    pages = textes_des_pages(r.content)
    assert r.status_code == 200 and [p.count("Page ") for p in pages] == [1, 1, 1] and "Page 3 / 3" in pages[2]

    monkeypatch.setattr(lots, "PV_SYNCHRONE_MAX", 2)
    services.verrouiller(session=session, auteur=comptes.administrateur)
    client.post(reverse("examens:proces-verbal-documents", args=[2026]), {"action": "emettre"})
    lot = ExportLot.objects.get()
    jouer_la_file(lot)
    pv = DocumentEmis.objects.get(type="pv")
    fichier = FichierExport.objects.get(lot=lot)
    assert bytes(fichier.contenu) == bytes(pv.contenu) and pv.sha256 == hashlib.sha256(bytes(pv.contenu)).hexdigest()
    assert pv.pages == 3 and fichier.pages == 3
    pages = textes_des_pages(bytes(pv.contenu))
    assert "Page 1 / 3" in pages[0] and "Page 3 / 3" in pages[2]
    assert f"Procès-verbal n° {pv.reference}" in pages[0] and " ".join(pages).count("Procès-verbal n°") == 1
    assert "Document provisoire" not in " ".join(pages)
    telecharge = client.get(reverse("examens:document-pdf", args=[pv.pk]))
    assert telecharge.content == bytes(pv.contenu)
