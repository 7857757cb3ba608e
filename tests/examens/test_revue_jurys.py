"""Régressions de la revue du périmètre des jurys et des académies (issue #17) : chaque trou trouvé par la revue,
reproduit, et le comportement attendu (propositions et réouvertures d'une autre académie, jury mixte, jury d'une
autre session, recalculs qui réécrivaient un jury verrouillé, charges hostiles sur les nouvelles pages)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from examens import services
from examens.echeances.models import PropositionNote
from examens.jurys import services as jurys
from examens.models import EtablissementJury, Note, Resultat
from tests import fabriques
from tests.examens.outils import UNITES

pytestmark = pytest.mark.django_db


def _noter(candidat, valeur="12"):
    services.ecrire_notes(
        saisies=[services.SaisieNote(candidat=candidat, unite=u, etat="note", valeur=Decimal(valeur)) for u in UNITES],
        source="test",
    )


@pytest.fixture
def monde():
    c = fabriques.comptes()
    lycee1, lycee2 = c.division_a.etablissement, c.division_c.etablissement
    paris = fabriques.jury_de(lycee1, c.division_a.session, "Paris", "PARIS")
    creteil = fabriques.jury_de(lycee2, c.division_c.session, "Créteil", "CRETEIL")
    un = fabriques.candidat(division=c.division_a, numero="J1000001", nom="UN")
    deux = fabriques.candidat(division=c.division_c, numero="J2000001", nom="DEUX")
    _noter(un)
    _noter(deux)
    return c, paris, creteil, un, deux


def _client(u):
    cl = Client()
    cl.force_login(u)
    return cl


# 1. Propositions : la division des examens de Paris lit, valide et refuse celles de Créteil.
def test_paris_ne_valide_pas_une_proposition_de_creteil(monde):
    c, paris, creteil, un, deux = monde
    PropositionNote.objects.create(candidat=deux, unite="U2", groupe=1, texte="3", motif="m", auteur=c.enseignant_autre)
    cl = _client(paris.academie)
    page = cl.get(reverse("examens:propositions", args=[2026]))
    assert "DEUX" not in page.content.decode(), "la liste montre les propositions d'une autre académie"


def test_paris_ne_valide_pas_une_proposition_de_creteil_ecriture(monde):
    c, paris, creteil, un, deux = monde
    p = PropositionNote.objects.create(
        candidat=deux, unite="U2", groupe=1, texte="3", motif="m", auteur=c.enseignant_autre
    )
    cl = _client(paris.academie)
    cl.post(reverse("examens:proposition-valider", args=[2026, p.pk]))
    p.refresh_from_db()
    assert p.etat == PropositionNote.Etat.EN_ATTENTE
    assert Note.objects.get(candidat=deux, unite="U2").valeur == Decimal("12"), "note de Créteil écrite par Paris"


# 2. Recalcul « Délibérer » de l'administrateur sans ?jury= : réécrit les résultats d'un jury verrouillé.
def test_recalcul_session_ne_reecrit_pas_un_jury_verrouille(monde):
    c, paris, creteil, un, deux = monde
    jurys.verrouiller_jury(jury=paris.jury, auteur=paris.president)
    avant = Resultat.objects.get(candidat=un)
    # Dérive hors porte (correction de règlement, écriture en masse, restauration...) : simulée par l'ORM.
    Note.objects.filter(candidat=un).update(valeur=Decimal("3"))
    _client(c.administrateur).post(reverse("examens:deliberer", args=[2026]))
    apres = Resultat.objects.get(candidat=un)
    assert (apres.decision, apres.points) == (avant.decision, avant.points), "résultat d'un jury verrouillé réécrit"


# 3. Jury interacadémique : la division des examens de Paris en retire l'établissement de Créteil.
def test_paris_ne_retire_pas_l_etablissement_de_creteil_d_un_jury_mixte(monde):
    c, paris, creteil, un, deux = monde
    lycee1, lycee2 = un.etablissement, deux.etablissement
    EtablissementJury.objects.filter(jury=creteil.jury).delete()
    EtablissementJury.objects.create(jury=paris.jury, etablissement=lycee2, session=paris.jury.session)
    r = _client(paris.academie).post(
        reverse("examens:jury-modifier", args=[paris.jury.pk]),
        {"nom": "Paris", "etablissements": [lycee1.pk], "president": paris.president.pk},
    )
    assert r.status_code in (302, 200, 403)
    assert EtablissementJury.objects.filter(jury=paris.jury, etablissement=lycee2).exists(), (
        "Paris a retiré un lycée de Créteil du jury"
    )


# 4. ?jury= d'une autre session : accepté tel quel.
def test_jury_d_une_autre_session_refuse(monde):
    c, paris, creteil, un, deux = monde
    autre = fabriques.session(2025) if hasattr(fabriques, "session") else None
    from examens.models import Jury

    j = Jury.objects.create(session=autre, nom="Paris 2025", president=paris.president)
    r = _client(paris.president).get(reverse("examens:proces-verbal-documents", args=[2026]) + f"?jury={j.pk}")
    assert r.status_code == 404, r.status_code


# 5. Entrées hostiles : jamais de 500.
@pytest.mark.parametrize(
    "qs", ["?jury=99999999999999999999999", "?jury=%D9%A3", "?jury=0", "?jury=-1", "?jury=1%00", "?jury=" + "9" * 5000]
)
def test_jury_hostile(monde, qs):
    c, paris, creteil, un, deux = monde
    for u in (paris.president, paris.academie, c.administrateur):
        cl = _client(u)
        cl.raise_request_exception = False
        for nom in ("deliberation", "proces-verbal", "proces-verbal-pdf", "proces-verbal-documents", "harmonisation"):
            r = cl.get(reverse("examens:" + nom, args=[2026]) + qs)
            assert r.status_code < 500, (nom, qs, r.status_code)
        r = cl.post(reverse("examens:deliberer", args=[2026]) + qs)
        assert r.status_code < 500, ("deliberer", qs, r.status_code)


def test_posts_hostiles(monde):
    c, paris, creteil, un, deux = monde
    cl = _client(paris.academie)
    cl.raise_request_exception = False
    jurys.verrouiller_jury(jury=paris.jury, auteur=paris.president)
    for url, data in [
        (reverse("examens:jury-deverrouiller", args=[paris.jury.pk]), {"motif": "\x00" * 10}),
        (reverse("examens:jury-verrouiller", args=[creteil.jury.pk]), {"confirmation": "x" * 100000}),
        (
            reverse("examens:jury-modifier", args=[paris.jury.pk]),
            {"nom": "\x00", "etablissements": ["a", "99999999999999"]},
        ),
        (
            reverse("examens:jury-creer", args=[2026]),
            {"nom": "x" * 1000, "etablissements": [un.etablissement.pk], "membres": ["zz"]},
        ),
        (reverse("examens:jury-creer", args=[2026]), {"nom": "Paris\x00", "etablissements": [un.etablissement.pk]}),
        (reverse("examens:proposition-refuser", args=[2026, 99999999999]), {"motif": "x"}),
        (
            reverse("examens:echeance-creer", args=[2026]),
            {"unite": "\x00", "nature": "zz", "fermee_le": "9999-99-99", "etablissement": "x"},
        ),
        (
            reverse("examens:reouverture-creer", args=[2026]),
            {"candidat": "\x00" * 3, "fin": "2026-13-45T99:99", "motif": "\x00", "beneficiaires": ["x"]},
        ),
    ]:
        r = cl.post(url, data)
        assert r.status_code < 500, (url, r.status_code)


# 6. Échéances et réouvertures d'une autre académie : lues par la division des examens de Paris.
def test_paris_ne_lit_pas_les_reouvertures_de_creteil(monde):
    import datetime

    from django.utils import timezone

    from examens.echeances.models import Reouverture

    c, paris, creteil, un, deux = monde
    r = Reouverture.objects.create(
        session=un.session,
        unite="U2",
        etablissement=deux.etablissement,
        candidat=deux,
        fin=timezone.now() + datetime.timedelta(days=3),
        motif="SECRET-MEDICAL-CRETEIL",
        auteur=creteil.academie,
    )
    cl = _client(paris.academie)
    liste = cl.get(reverse("examens:echeances", args=[2026])).content.decode()
    page = cl.get(reverse("examens:reouverture-modifier", args=[2026, r.pk]))
    assert "SECRET-MEDICAL-CRETEIL" not in liste
    assert page.status_code == 404 or "SECRET-MEDICAL-CRETEIL" not in page.content.decode()


# 2 bis. Chemin réel de la dérive : charger une version du règlement recalcule toute la session, jurys verrouillés
# compris (chargement.rattacher_sessions → resultats.recalculer_session).
def test_nouvelle_version_du_reglement_ne_reecrit_pas_un_jury_verrouille(monde, tmp_path):
    import json

    from examens.chargement import DOSSIER, charger_reglement

    c, paris, creteil, un, deux = monde
    jurys.verrouiller_jury(jury=paris.jury, auteur=paris.president)
    jurys.valider_proces_verbal(jury=paris.jury, auteur=paris.president)
    avant = Resultat.objects.get(candidat=un)
    donnees = json.loads((DOSSIER / "AGORA-2020.json").read_text(encoding="utf-8"))
    donnees["regles"]["mentions"] = {"AB": "13", "B": "15", "TB": "17"}
    donnees.update(code="AGORA-2020-V2-REVUE", session_debut=2026)
    fichier = tmp_path / "v2.json"
    fichier.write_text(json.dumps(donnees, ensure_ascii=False), encoding="utf-8")
    charger_reglement(fichier)
    apres = Resultat.objects.get(candidat=un)
    assert (apres.decision, apres.mention) == (avant.decision, avant.mention), (
        f"jury Paris verrouillé et PV validé, résultat réécrit : {avant.mention!r} → {apres.mention!r}"
    )


# 3 bis. Jury interacadémique : le PV du jury émis par la division des examens de Paris omet les candidats de Créteil.
def test_pv_d_un_jury_mixte_emis_par_paris_est_complet(monde):
    from examens.documents import emission

    c, paris, creteil, un, deux = monde
    EtablissementJury.objects.filter(jury=creteil.jury).delete()
    EtablissementJury.objects.create(jury=paris.jury, etablissement=deux.etablissement, session=paris.jury.session)
    jurys.verrouiller_jury(jury=paris.jury, auteur=paris.president)
    jurys.valider_proces_verbal(jury=paris.jury, auteur=paris.president)
    doc, _ = emission.emettre_pv(session=un.session, auteur=paris.academie, jury=paris.jury)
    numeros = [ligne[0] for ligne in doc.donnees["lignes"]]
    assert numeros == ["J1000001", "J2000001"], f"PV officiel du jury {doc.objet} : {numeros}"
