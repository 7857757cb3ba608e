"""Sauvegarde et restauration d'une session : aller-retour exact, renumérotation, refus motivés, tout ou rien."""

import base64
import gzip
import hashlib
import hmac
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission, User
from django.core import serializers
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from examens import sauvegarde, services
from examens.models import (
    Academie,
    Blocage,
    Candidat,
    Division,
    DocumentEmis,
    Etablissement,
    HistoriqueNote,
    Journal,
    JournalArchive,
    Note,
    ReglementExamen,
    Resultat,
    Session,
)
from examens.sauvegarde import SauvegardeInvalide, restaurer_session, sauvegarder_session
from referentiel.models import Referentiel
from tests import fabriques
from tests.examens.outils import UNITES

pytestmark = pytest.mark.django_db

MODELES = [Session, Division, Candidat, Note, HistoriqueNote, Blocage, Resultat, Etablissement, User]
RACINE = Path(__file__).resolve().parents[2]


def saisies(candidat, valeurs):
    return [
        services.SaisieNote(candidat=candidat, unite=u, etat="note", valeur=Decimal(v))
        for u, v in zip(UNITES, valeurs, strict=True)
    ]


@pytest.fixture
def session_complete(comptes):
    """Une session 2026 délibérée et verrouillée : notes, historique, blocage, résultats, journal."""
    session = comptes.division_a.session
    a1 = fabriques.candidat(division=comptes.division_a, nom="MARTIN", prenom="Zoé", facultative1="EPS")
    a2 = fabriques.candidat(division=comptes.division_a, nom="N'DIAYE", prenom="Aïssata", chef_oeuvre=Decimal(14))
    c1 = fabriques.candidat(division=comptes.division_c, statut="apprenti_cfa_habilite", lv2="")
    sans_division = fabriques.candidat(division=comptes.division_c, numero="LIBRE01")
    Candidat.objects.filter(pk=sans_division.pk).update(division=None)
    auteur = comptes.gestionnaire
    toutes = saisies(a1, ["12", "11", "13", "14", "12", "10", "11", "9", "10", "12", "13", "15"])
    toutes += saisies(a2, ["8", "9.5", "10.125", "7", "12", "10", "11", "9", "10", "12", "13", "15"])
    toutes += saisies(c1, ["15", "16", "14", "13", "12", "11", "10", "9", "8", "7", "16", "17"])
    services.ecrire_notes(saisies=toutes, auteur=auteur, source="import")
    services.saisir_note(candidat=a1, unite="UF1", texte="16,5", auteur=auteur)
    services.saisir_note(candidat=a2, unite="U2", texte="ABJ", auteur=comptes.administrateur, source="jury", motif="x")
    services.definir_blocage(candidat=c1, source="pfmp", motif="PFMP : 10 semaines sur 22")
    services.deliberer(session=session, auteur=auteur)
    services.verrouiller(session=session, auteur=comptes.administrateur)
    # Une autre session, qui ne doit ni partir dans la sauvegarde ni bouger à la restauration.
    autre = fabriques.division("TAGO-2025", fabriques.etablissement("0130001"), fabriques.session(2025))
    services.ecrire_notes(saisies=saisies(fabriques.candidat(division=autre), ["10"] * 12), source="import")
    return Session.objects.get(pk=session.pk)


def instantane(sans_cles: bool = False) -> dict:
    """Toutes les lignes des tables concernées, valeurs comprises (mots de passe exceptés)."""
    tables = {}
    for modele in MODELES:
        lignes = serializers.serialize("python", modele.objects.order_by("pk"))
        for ligne in lignes:
            ligne["fields"].pop("password", None)
            for nom, valeur in ligne["fields"].items():
                if isinstance(valeur, list):
                    ligne["fields"][nom] = sorted(valeur)
        tables[modele._meta.label_lower] = lignes
    journal = Journal.objects.filter(session_annee=2026).exclude(action__startswith="sauvegarde.").order_by("pk")
    tables["examens.journal"] = serializers.serialize("python", journal)
    return tables


def compter() -> dict:
    return {m._meta.label_lower: m.objects.count() for m in [*MODELES, Journal]}


@pytest.fixture
def fichier(tmp_path):
    return tmp_path / "session-2026.agora.gz"


def supprimer_session(annee: int = 2026) -> None:
    session = Session.objects.get(annee=annee)
    Session.objects.filter(pk=session.pk).update(verrouillee=False)  # sinon le déclencheur protège les notes
    session.delete()


def lignes(chemin: Path) -> list[bytes]:
    with gzip.open(chemin, "rb") as f:
        return f.readlines()


def reecrire(chemin: Path, contenu: list[bytes], recalculer: bool = False, cle: str | None = None) -> None:
    """Réécrit un fichier de sauvegarde ; `recalculer` refait la ligne de contrôle.

    Avec la clé (`cle`, par défaut celle de l'installation), c'est la falsification d'un détenteur de la clé : la
    signature est valide. `cle=""` : l'empreinte seule est recalculée, comme le ferait qui n'a pas la clé.
    """
    if recalculer:
        corps = contenu[:-1]
        pied = {"sha256": hashlib.sha256(b"".join(corps)).hexdigest(), "objets": len(corps) - 1}
        cle = settings.SAUVEGARDE_CLE if cle is None else cle
        if cle:
            pied["hmac"] = hmac.new(cle.encode(), b"".join(corps), hashlib.sha256).hexdigest()
        contenu = [*corps, (json.dumps(pied) + "\n").encode()]
    with gzip.open(chemin, "wb") as f:
        f.writelines(contenu)


# ---------------------------------------------------------------------------------------------------
# Contenu
# ---------------------------------------------------------------------------------------------------


def test_la_sauvegarde_contient_exactement_ce_que_la_suppression_de_la_session_effacerait(session_complete):
    """Le parcours générique des clés étrangères rejoint le collecteur de Django (page de suppression de l'admin)."""
    contenu = sauvegarde.collecter(session_complete)
    collecteur = NestedObjects(using="default")
    collecteur.collect([session_complete])
    # Les lignes d'une many-to-many automatique voyagent dans la ligne de leur propriétaire (Division.enseignants).
    attendu = {(m, o.pk) for m, objets in collecteur.model_objs.items() if not m._meta.auto_created for o in objets}
    attendu |= {(type(o), o.pk) for o in collecteur.protected}
    obtenu = {(m, pk) for m, pks in contenu.propres.items() for pk in pks}
    assert obtenu == attendu
    assert {m for m, _ in obtenu} >= {Session, Division, Candidat, Note, HistoriqueNote, Blocage, Resultat}
    assert set(contenu.partages) == {Etablissement, User, Academie}  # l'académie du lycée 1 (gestionnaire académique)
    assert {e.uai for e in Etablissement.objects.filter(pk__in=contenu.partages[Etablissement])} == {
        fabriques.uai("0750001"),
        fabriques.uai("0930122"),
    }
    assert ReglementExamen in contenu.references  # jamais copié, retrouvé par son code


def test_le_fichier_est_un_gzip_prive_avec_en_tete_empreinte_et_sans_mot_de_passe(session_complete, fichier):
    bilan = sauvegarder_session(annee=2026, chemin=fichier)
    assert (os.stat(fichier).st_mode & 0o777) == 0o600
    contenu = lignes(fichier)
    entete, pied = json.loads(contenu[0]), json.loads(contenu[-1])
    assert (entete["format"], entete["version"], entete["session"], entete["verrouillee"]) == (
        "agora-sauvegarde-session",
        2,
        2026,
        True,
    )
    assert entete["reglement"] == {"code": "AGORA-2020", "empreinte": session_complete.reglement.empreinte}
    signature = hmac.new(settings.SAUVEGARDE_CLE.encode(), b"".join(contenu[:-1]), hashlib.sha256).hexdigest()
    assert pied == {"sha256": bilan.sha256, "hmac": signature, "objets": len(contenu) - 2}
    assert entete["cle"] == sauvegarde.identifiant_cle(settings.SAUVEGARDE_CLE.encode())
    assert settings.SAUVEGARDE_CLE not in b"".join(contenu).decode()
    assert bilan.objets["examens.note"] == 37 and bilan.objets["examens.candidat"] == 4
    assert b"pbkdf2" not in b"".join(contenu) and b"md5$" not in b"".join(contenu)
    assert b"TAGO-2025" not in b"".join(contenu)  # l'autre session n'y est pas
    assert Journal.objects.filter(action="sauvegarde.creation", session_annee=2026).count() == 1


def test_la_sauvegarde_refuse_une_session_inconnue_et_un_fichier_existant(session_complete, fichier):
    with pytest.raises(SauvegardeInvalide, match="Aucune session 2031"):
        sauvegarder_session(annee=2031, chemin=fichier)
    assert not fichier.exists()
    fichier.write_bytes(b"ancien")
    with pytest.raises(SauvegardeInvalide, match="existe déjà"):
        sauvegarder_session(annee=2026, chemin=fichier)
    assert fichier.read_bytes() == b"ancien"


# ---------------------------------------------------------------------------------------------------
# Aller-retour
# ---------------------------------------------------------------------------------------------------


def test_aller_retour_exact_apres_suppression_de_la_session_des_comptes_et_des_etablissements(
    session_complete, comptes, fichier
):
    avant = instantane()
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    Etablissement.objects.filter(uai__in=[fabriques.uai("0750001"), fabriques.uai("0930122")]).delete()
    User.objects.all().delete()
    assert not Candidat.objects.filter(session__annee=2026).exists() and not User.objects.exists()

    bilan = restaurer_session(chemin=fichier)

    assert instantane() == avant  # chaque ligne, chaque valeur, mêmes clés : la base était « vide » de ces objets
    # Le journal et l'académie (non supprimée) sont repris tels quels.
    assert bilan.renumerotes == [] and bilan.reutilises == {
        "examens.journal": len(avant["examens.journal"]),
        "examens.academie": 1,
    }
    session = Session.objects.get(annee=2026)
    assert session.verrouillee
    # Le déclencheur protège de nouveau les notes de la session verrouillée.
    with pytest.raises(DatabaseError, match="Session verrouillée"), transaction.atomic():
        Note.objects.filter(candidat__session=session).update(valeur=Decimal(20))
    # Les comptes recréés n'ont pas de mot de passe utilisable ; leurs rôles sont revenus.
    prof = User.objects.get(username="prof")
    assert not prof.has_usable_password() and prof.groups.filter(name="enseignant").exists()
    # Les séquences ont avancé : une nouvelle ligne ne heurte pas une clé restaurée.
    fabriques.candidat(division=Division.objects.get(session=session, nom="TAGO1"))
    assert Journal.objects.filter(action="sauvegarde.restauration", session_annee=2026).count() == 1


def test_restauration_avec_cles_deja_prises_renumerote_et_garde_les_valeurs(session_complete, comptes, fichier):
    def vue():
        """Le contenu métier, désigné par les identités (numéro, unité…) et non par les clés."""
        candidats = Candidat.objects.filter(session__annee=2026)
        return {
            "candidats": sorted(
                (c.numero, c.nom, c.prenom, c.etablissement.uai, c.division.nom if c.division else None, c.statut)
                for c in candidats.select_related("etablissement", "division")
            ),
            "notes": sorted(
                (n.candidat.numero, n.unite, n.groupe, n.etat, n.valeur, n.origine, n.modifiee_le, str(n.modifiee_par))
                for n in Note.objects.filter(candidat__in=candidats).select_related("candidat", "modifiee_par")
            ),
            "historique": sorted(
                (h.candidat.numero, h.unite, h.avant, h.apres, h.source, h.motif, str(h.auteur), h.date)
                for h in HistoriqueNote.objects.filter(candidat__in=candidats).select_related("candidat", "auteur")
            ),
            "resultats": sorted(
                (
                    r.candidat.numero,
                    r.decision,
                    r.mention,
                    r.points,
                    r.moyenne_exacte,
                    json.dumps(r.trace),
                    r.calcule_le,
                )
                for r in Resultat.objects.filter(candidat__in=candidats).select_related("candidat")
            ),
            "blocages": sorted(
                (b.candidat.numero, b.source, b.motif) for b in Blocage.objects.filter(candidat__in=candidats)
            ),
            "divisions": sorted(
                (d.nom, d.etablissement.uai, tuple(sorted(u.username for u in d.enseignants.all())))
                for d in Division.objects.filter(session__annee=2026).select_related("etablissement")
            ),
        }

    avant = vue()
    sauvegarder_session(annee=2026, chemin=fichier)
    anciens = list(Candidat.objects.filter(session__annee=2026).values_list("pk", flat=True))
    supprimer_session()
    # Une autre base : ses propres lignes occupent déjà des clés de la sauvegarde.
    div_2025 = Division.objects.get(nom="TAGO-2025")
    occupant = fabriques.candidat(pk=min(anciens), division=div_2025, numero="OCCUPANT")
    Division.objects.create(pk=comptes.division_a.pk, session=div_2025.session, etablissement=div_2025.etablissement)

    bilan = restaurer_session(chemin=fichier)

    assert vue() == avant
    assert {"examens.candidat", "examens.division"} <= set(bilan.renumerotes)
    assert bilan.reutilises["examens.etablissement"] == 2 and bilan.reutilises["auth.user"] >= 3
    occupant.refresh_from_db()
    assert occupant.numero == "OCCUPANT" and occupant.session.annee == 2025
    assert Session.objects.get(annee=2026).verrouillee


def test_un_objet_partage_sans_identite_est_repris_s_il_n_a_pas_change(session_complete, fichier, monkeypatch):
    """Sans clé naturelle ni champ unique (ex. un organisme d'accueil PFMP), on reconnaît la même ligne inchangée."""
    origine = sauvegarde._champs_identite
    monkeypatch.setattr(
        sauvegarde, "_champs_identite", lambda modele: None if modele is Etablissement else origine(modele)
    )
    avant = instantane()
    sauvegarder_session(annee=2026, chemin=fichier)
    assert all(v is None for v in json.loads(lignes(fichier)[0])["identites"]["examens.etablissement"]["cles"].values())
    supprimer_session()
    bilan = restaurer_session(chemin=fichier)
    assert bilan.reutilises["examens.etablissement"] == 2
    assert instantane() == avant


def test_restauration_dans_une_base_neuve_apres_migrate_et_charger_referentiel(session_complete, fichier, tmp_path):
    """Le cas documenté : une base vide, `migrate`, `charger_referentiel`, `restaurer` ; puis on la ressauvegarde."""
    sauvegarder_session(annee=2026, chemin=fichier)
    reglages = connection.settings_dict
    neuve = f"{reglages['NAME']}_neuve_{os.getpid()}"
    admin = psycopg.connect(
        host=reglages["HOST"], port=reglages["PORT"], user=reglages["USER"], dbname="postgres", autocommit=True
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{neuve}"')
    admin.execute(f'CREATE DATABASE "{neuve}"')
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{reglages['USER']}@{reglages['HOST']}:{reglages['PORT']}/{neuve}",
        "DEBUG": "1",
    }
    copie = tmp_path / "copie.agora.gz"
    try:
        for commande in (
            ["migrate", "-v0"],
            ["charger_referentiel", "-v0"],
            ["restaurer", str(fichier)],
            ["sauvegarder", "--session", "2026", str(copie)],
        ):
            sortie = subprocess.run(
                [sys.executable, "manage.py", *commande], cwd=RACINE, env=env, capture_output=True, text=True
            )
            assert sortie.returncode == 0, sortie.stderr
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{neuve}" WITH (FORCE)')
        admin.close()
    origine, restauree = lignes(fichier), lignes(copie)
    # Mêmes objets, octet pour octet (clés comprises), hors journal : dans la base neuve, les lignes du journal
    # du fichier sont devenues des entrées archivées ; son propre journal ne contient que sa restauration.
    journal = b'"model":"examens.journal"'
    assert [ligne for ligne in restauree[1:-1] if journal not in ligne and b"journalarchive" not in ligne] == [
        ligne for ligne in origine[1:-1] if journal not in ligne
    ]
    propres = [json.loads(ligne) for ligne in restauree[1:-1] if journal in ligne]
    assert [e["fields"]["action"] for e in propres] == ["sauvegarde.restauration"]
    archivees = [json.loads(ligne) for ligne in restauree[1:-1] if b'"model":"examens.journalarchive"' in ligne]
    originales = [json.loads(ligne) for ligne in origine[1:-1] if journal in ligne]
    assert [(a["fields"]["id_origine"], a["fields"]["action"], a["fields"]["date"]) for a in archivees] == [
        (o["pk"], o["fields"]["action"], o["fields"]["date"]) for o in originales
    ]
    assert {a["fields"]["fichier"] for a in archivees} == {fichier.name}
    entete_origine, entete_copie = json.loads(origine[0]), json.loads(restauree[0])
    assert entete_copie["identites"] == entete_origine["identites"]


# ---------------------------------------------------------------------------------------------------
# Refus : rien n'est écrit
# ---------------------------------------------------------------------------------------------------


def test_refus_si_la_session_existe_deja(session_complete, fichier):
    sauvegarder_session(annee=2026, chemin=fichier)
    avant = compter()
    with pytest.raises(SauvegardeInvalide, match="La session 2026 existe déjà dans cette base"):
        restaurer_session(chemin=fichier)
    assert compter() == avant


@pytest.mark.parametrize(
    "modele, message",
    [
        (ReglementExamen, "Le règlement d'examen AGORA-2020 chargé ici .* n'est pas celui de la sauvegarde"),
        (Referentiel, "Le référentiel AGORA-2020 chargé ici .* n'est pas celui de la sauvegarde"),
    ],
)
def test_refus_si_le_referentiel_ou_le_reglement_differe(session_complete, fichier, modele, message):
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    modele.objects.filter(code="AGORA-2020").update(empreinte="0" * 64)
    avant = compter()
    with pytest.raises(SauvegardeInvalide, match=message):
        restaurer_session(chemin=fichier)
    assert compter() == avant


def test_refus_si_le_reglement_n_est_pas_charge(session_complete, fichier):
    sauvegarder_session(annee=2026, chemin=fichier)
    contenu = lignes(fichier)
    entete = json.loads(contenu[0])
    entete["reglement"]["code"] = "AGORA-2031"
    reecrire(fichier, [(json.dumps(entete) + "\n").encode(), *contenu[1:]], recalculer=True)
    with pytest.raises(SauvegardeInvalide, match="AGORA-2031 n'est pas chargé .* charger_referentiel"):
        restaurer_session(chemin=fichier)


def test_refus_d_une_sauvegarde_venant_d_une_version_plus_recente(session_complete, fichier):
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    contenu = lignes(fichier)
    entete = json.loads(contenu[0])
    entete["migrations"].append("examens.9999_du_futur")
    reecrire(fichier, [(json.dumps(entete) + "\n").encode(), *contenu[1:]], recalculer=True)
    with pytest.raises(SauvegardeInvalide, match="version plus récente .* examens.9999_du_futur"):
        restaurer_session(chemin=fichier)
    assert not Session.objects.filter(annee=2026).exists()


@pytest.mark.parametrize(
    "abimer, message",
    [
        (lambda c: [c[0], c[1].replace(b'"nom":"', b'"nom":"X'), *c[2:]], "empreinte SHA-256 incorrecte"),
        (lambda c: c[:-1], "fichier tronqué"),
        (lambda c: c[:5] + [c[-1]], "contenu différent de l'en-tête|fichier tronqué"),
        (lambda c: [c[0].replace(b'"version":2', b'"version":3'), *c[1:]], "version 3"),
        (lambda c: [c[0].replace(b'"version":2', b'"version":1'), *c[1:]], r"version 1 \(fichier non signé"),
        (lambda c: [b"{}\n", *c[1:]], "format inconnu"),
        (lambda c: [c[0].replace(b'"migrations"', b'"migrationz"'), *c[1:]], "en-tête incomplet : migrations"),
        (lambda c: [b"pas du json\n", *c[1:]], "en-tête illisible"),
    ],
    ids=[
        "valeur-modifiee",
        "sans-ligne-de-controle",
        "objets-manquants",
        "version",
        "version-1-non-signee",
        "format",
        "incomplet",
        "en-tete",
    ],
)
def test_un_fichier_altere_est_refuse_sans_rien_ecrire(session_complete, fichier, abimer, message):
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    reecrire(fichier, abimer(lignes(fichier)))
    avant = compter()
    with pytest.raises(SauvegardeInvalide, match=message):
        restaurer_session(chemin=fichier)
    assert compter() == avant


@pytest.mark.parametrize(
    "contenu", [b"", b"n'importe quoi", b"\x1f\x8b\x08\x00abcdef", b"PK\x03\x04" + bytes(range(256))]
)
def test_un_fichier_qui_n_est_pas_une_sauvegarde_est_refuse(tmp_path, contenu):
    chemin = tmp_path / "x.gz"
    chemin.write_bytes(contenu)
    with pytest.raises(SauvegardeInvalide, match="n'est pas une sauvegarde de session AGOrA lisible"):
        restaurer_session(chemin=chemin)


def test_un_gzip_coupe_en_deux_est_refuse(session_complete, fichier):
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    fichier.write_bytes(fichier.read_bytes()[: fichier.stat().st_size // 2])
    with pytest.raises(SauvegardeInvalide, match="tronqué"):
        restaurer_session(chemin=fichier)
    assert not Session.objects.filter(annee=2026).exists()


def test_tout_ou_rien_une_erreur_en_base_au_milieu_annule_toute_la_restauration(session_complete, fichier):
    """Une note hors bornes (falsifiée avec une empreinte recalculée) : la contrainte refuse, rien ne reste."""
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    contenu = lignes(fichier)
    i = max(i for i, ligne in enumerate(contenu) if b'"model":"examens.note"' in ligne)
    objet = json.loads(contenu[i])
    objet["fields"].update(etat="note", valeur="25.000")
    contenu[i] = (json.dumps(objet) + "\n").encode()
    reecrire(fichier, contenu, recalculer=True)
    avant = compter()
    with pytest.raises(SauvegardeInvalide, match="Restauration annulée, rien n'a été écrit"):
        restaurer_session(chemin=fichier)
    assert compter() == avant


def test_l_essai_verifie_tout_et_n_ecrit_rien(session_complete, fichier):
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    avant = compter()
    bilan = restaurer_session(chemin=fichier, essai=True)
    assert bilan.essai and bilan.objets["examens.note"] == 37
    assert compter() == avant


# ---------------------------------------------------------------------------------------------------
# Commandes
# ---------------------------------------------------------------------------------------------------


def test_les_commandes_font_l_aller_retour_et_parlent_francais(session_complete, fichier, capsys):
    call_command("sauvegarder", "--session", "2026", str(fichier))
    assert "Session 2026 sauvegardée" in capsys.readouterr().out
    with pytest.raises(CommandError, match="existe déjà dans cette base"):
        call_command("restaurer", str(fichier))
    supprimer_session()
    call_command("restaurer", str(fichier))
    sortie = capsys.readouterr().out
    assert "Session 2026 restaurée" in sortie and "changepassword" not in sortie
    assert Candidat.objects.filter(session__annee=2026).count() == 4
    with pytest.raises(CommandError, match="Aucune session 1999"):
        call_command("sauvegarder", "--session", "1999", str(fichier.with_name("autre.gz")))


# ---------------------------------------------------------------------------------------------------
# Signature et contenu hostile (fichier signé par un détenteur de la clé)
# ---------------------------------------------------------------------------------------------------


def objets_de(contenu: list[bytes], modele: str) -> list[int]:
    return [i for i, ligne in enumerate(contenu) if f'"model":"{modele}"'.encode() in ligne]


def modifier(fichier_lu: list[bytes], i: int, **champs) -> None:
    objet = json.loads(fichier_lu[i])
    objet["fields"].update(champs)
    fichier_lu[i] = (json.dumps(objet) + "\n").encode()


def test_un_fichier_modifie_avec_une_empreinte_recalculee_est_refuse(session_complete, fichier):
    """Sans la clé, recalculer le SHA-256 ne suffit plus : la signature HMAC ne correspond pas."""
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    contenu = lignes(fichier)
    modifier(contenu, objets_de(contenu, "examens.note")[0], valeur="20.000")
    for cle, message in (("", "n'est pas signé"), ("une-cle-devinee", "signature HMAC incorrecte")):
        reecrire(fichier, contenu, recalculer=True, cle=cle)
        avant = compter()
        with pytest.raises(SauvegardeInvalide, match=message):
            restaurer_session(chemin=fichier)
        assert compter() == avant


def test_un_fichier_signe_avec_une_autre_cle_est_refuse(session_complete, fichier, settings):
    settings.SAUVEGARDE_CLE = "cle-d-une-autre-installation-" + "y" * 32
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    settings.SAUVEGARDE_CLE = "cle-de-cette-installation-" + "z" * 32
    with pytest.raises(SauvegardeInvalide, match="signé avec une autre clé que la SAUVEGARDE_CLE"):
        restaurer_session(chemin=fichier)
    assert not Session.objects.filter(annee=2026).exists()


def test_sans_cle_en_production_rien_ne_se_fait(session_complete, fichier, settings):
    settings.SAUVEGARDE_CLE = ""
    with pytest.raises(SauvegardeInvalide, match="SAUVEGARDE_CLE n'est pas définie"):
        sauvegarder_session(annee=2026, chemin=fichier)
    assert not fichier.exists()


def test_un_fichier_qui_declare_superutilisateur_et_mot_de_passe_rend_un_compte_inutilisable(
    session_complete, comptes, fichier
):
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    User.objects.all().delete()
    contenu = lignes(fichier)
    permission = Permission.objects.get(codename="deverrouiller")
    for i in objets_de(contenu, "auth.user"):
        modifier(
            contenu,
            i,
            is_superuser=True,
            is_staff=True,
            password=make_password("mot-de-passe-connu"),
            user_permissions=[permission.pk],
        )
    reecrire(fichier, contenu, recalculer=True)

    bilan = restaurer_session(chemin=fichier)

    assert bilan.comptes_crees == User.objects.count() >= 3
    for compte in User.objects.all():
        assert not compte.is_superuser and not compte.is_staff, compte
        assert not compte.has_usable_password() and not compte.check_password("mot-de-passe-connu")
        assert not compte.user_permissions.exists()
    assert User.objects.get(username="prof").groups.filter(name="enseignant").exists()  # les rôles reviennent


def test_un_fichier_ne_deverrouille_pas_une_session_verrouillee_ici(session_complete, fichier):
    """Le fichier (signé) dit la session ouverte ; le journal de cette base l'a vue verrouillée : verrouillée."""
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    contenu = lignes(fichier)
    entete = json.loads(contenu[0])
    entete["verrouillee"] = False
    contenu[0] = (json.dumps(entete) + "\n").encode()
    modifier(contenu, objets_de(contenu, "examens.session")[0], verrouillee=False)
    reecrire(fichier, contenu, recalculer=True)

    restaurer_session(chemin=fichier)

    session = Session.objects.get(annee=2026)
    assert session.verrouillee
    with pytest.raises(DatabaseError, match="Session verrouillée"), transaction.atomic():
        Note.objects.filter(candidat__session=session).update(valeur=Decimal(20))
    entree = Journal.objects.get(action="sauvegarde.restauration", session_annee=2026)
    assert entree.apres["verrouillee"] is True


def test_l_objet_session_verrouille_suffit_meme_si_l_en_tete_dit_ouverte(session_complete, comptes, fichier):
    """Session déverrouillée ici (dernier mot du journal) ; l'objet du fichier la dit verrouillée : verrouillée."""
    services.deverrouiller(session=session_complete, auteur=comptes.administrateur, motif="rectification")
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    contenu = lignes(fichier)
    assert json.loads(contenu[0])["verrouillee"] is False
    modifier(contenu, objets_de(contenu, "examens.session")[0], verrouillee=True)
    reecrire(fichier, contenu, recalculer=True)
    restaurer_session(chemin=fichier)
    assert Session.objects.get(annee=2026).verrouillee


def test_les_lignes_de_journal_du_fichier_ne_deviennent_jamais_authentiques(session_complete, fichier):
    """Une entrée réécrite et antidatée (fichier signé) : archivée et marquée, le journal de la base ne bouge pas."""
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    contenu = lignes(fichier)
    i = objets_de(contenu, "examens.journal")[0]
    modifier(contenu, i, date="2020-01-01T00:00:00+00:00", auteur="fantome", motif="antidatée")
    reecrire(fichier, contenu, recalculer=True)
    authentique = list(Journal.objects.order_by("pk").values())

    bilan = restaurer_session(chemin=fichier)

    nouvelles = Journal.objects.exclude(pk__in=[e["id"] for e in authentique])
    assert list(nouvelles.values_list("action", flat=True)) == ["sauvegarde.restauration"]
    assert list(Journal.objects.filter(pk__in=[e["id"] for e in authentique]).order_by("pk").values()) == authentique
    assert not Journal.objects.filter(auteur="fantome").exists()
    archivee = JournalArchive.objects.get()
    assert (archivee.auteur, archivee.motif, archivee.id_origine) == (
        "fantome",
        "antidatée",
        json.loads(contenu[i])["pk"],
    )
    assert archivee.fichier == fichier.name and archivee.fichier_sha256 == bilan.sha256
    assert bilan.objets["examens.journalarchive"] == 1
    # L'archive est en ajout seul, comme le journal.
    with pytest.raises(DatabaseError, match="ajout seul"), transaction.atomic():
        JournalArchive.objects.update(motif="effacé")


@pytest.fixture
def documents(session_complete):
    """Un relevé et sa correction (version 2), émis pour la session 2026."""

    def emettre(version, precedent=None):
        contenu = b"%PDF-1.7\n" + os.urandom(3000) + f"version {version}".encode()
        return DocumentEmis.objects.create(
            type="releve",
            session_annee=2026,
            objet="T0000001",
            version=version,
            precedent=precedent,
            donnees={"notes": {"U11": "12"}},
            contenu=contenu,
            sha256=hashlib.sha256(contenu).hexdigest(),
            pages=1,
            taille=len(contenu),
            emis_par="gestion",
        )

    premier = emettre(1)
    return [premier, emettre(2, premier)]


def effacer_documents() -> None:
    """Une autre base, sans ces documents : seul un superutilisateur suspend la garde (comme ce test)."""
    with connection.cursor() as curseur:
        curseur.execute("SET session_replication_role = replica")
        curseur.execute("DELETE FROM examens_documentemis")
        curseur.execute("RESET session_replication_role")


def test_les_documents_emis_font_l_aller_retour_octet_pour_octet(documents, fichier):
    avant = [
        (d.pk, d.type, d.objet, d.version, d.precedent_id, bytes(d.contenu), d.sha256, d.emis_le) for d in documents
    ]
    bilan = sauvegarder_session(annee=2026, chemin=fichier)
    assert bilan.objets["examens.documentemis"] == 2
    supprimer_session()
    effacer_documents()

    bilan = restaurer_session(chemin=fichier)

    assert bilan.objets["examens.documentemis"] == 2
    apres = [
        (d.pk, d.type, d.objet, d.version, d.precedent_id, bytes(d.contenu), d.sha256, d.emis_le)
        for d in DocumentEmis.objects.order_by("pk")
    ]
    assert apres == avant
    assert all(hashlib.sha256(bytes(d.contenu)).hexdigest() == d.sha256 for d in DocumentEmis.objects.all())


def test_des_documents_deja_presents_a_l_identique_sont_repris(documents, fichier):
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    bilan = restaurer_session(chemin=fichier)
    assert bilan.reutilises["examens.documentemis"] == 2 and DocumentEmis.objects.count() == 2


def test_un_document_dont_les_octets_ne_correspondent_pas_a_l_empreinte_est_refuse(documents, fichier):
    sauvegarder_session(annee=2026, chemin=fichier)
    supprimer_session()
    effacer_documents()
    contenu = lignes(fichier)
    faux = b"%PDF-1.7\nfalsifie"
    modifier(contenu, objets_de(contenu, "examens.documentemis")[0], contenu=base64.b64encode(faux).decode())
    reecrire(fichier, contenu, recalculer=True)
    with pytest.raises(SauvegardeInvalide, match="ne correspond pas à son empreinte"):
        restaurer_session(chemin=fichier)
    assert not Session.objects.filter(annee=2026).exists() and not DocumentEmis.objects.exists()
