"""Requêtes compilées une fois (agora/requetes.py) : mêmes objets que l'ORM, pour chaque rôle, sans recompiler."""

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext, override_settings

from agora.requetes import RequeteFigee, sql_lisible
from examens.ccf import lectures
from examens.models import Commission, MembreCommission
from tests.examens.test_grilles import monde

pytestmark = pytest.mark.django_db


def _compteur(fabrique):
    appels = []

    def compte(*forme, **valeurs):
        appels.append(valeurs)
        return fabrique(*forme, **valeurs)

    return compte, appels


def _commissions_orm(user, pk):
    return list(
        Commission.objects.visibles_par(user)
        .select_related("session__reglement", "etablissement", "gabarit")
        .filter(pk=pk)
    )


def test_la_commission_lue_est_celle_de_l_orm_pour_chaque_role():
    """Le périmètre d'examens.perimetre, pour le membre, le collègue sans division, l'enseignant d'un autre lycée,
    le gestionnaire de chaque lycée, l'académie et l'administrateur (deux variantes : voit tout ou non)."""
    m = monde()
    c = m.comptes
    autre = Commission.objects.get(pk=m.e32.pk)
    for user in (
        c.enseignant,
        m.collegue,
        m.professionnel,
        c.enseignant_autre,
        c.gestionnaire,
        c.gestionnaire_autre,
        c.academie,
        c.administrateur,
    ):
        user = User.objects.get(pk=user.pk)  # permissions relues, comme au début d'une requête HTTP
        for commission in (m.e31, autre):
            lue = lectures.commission_visible(user, commission.pk)
            attendue = _commissions_orm(user, commission.pk)
            assert ([lue] if lue else []) == attendue, (user.username, commission)
            if lue:
                assert lue.session.reglement_id == commission.session.reglement_id
                assert lue.gabarit.epreuve == commission.gabarit.epreuve
    # Les visibles et les invisibles du test : il ne passe pas que par « rien ».
    assert lectures.commission_visible(m.professionnel, m.e32.pk) is not None
    assert lectures.commission_visible(m.professionnel, m.e31.pk) is None
    assert lectures.commission_visible(c.enseignant_autre, m.e31.pk) is None
    assert lectures.commission_visible(c.gestionnaire_autre, m.e31.pk) is None
    assert lectures.commission_visible(c.administrateur, m.e31.pk) is not None


def test_la_fabrique_n_est_compilee_qu_une_fois_par_jeu_de_permissions():
    m = monde()
    c = m.comptes
    fabrique, appels = _compteur(
        lambda utilisateur, pk: Commission.objects.visibles_par(utilisateur).select_related("gabarit").filter(pk=pk)
    )
    lecture = RequeteFigee(fabrique)
    with override_settings(REQUETES_FIGEES_VERIFIEES=False):
        for user in (c.enseignant, m.collegue, c.enseignant, m.collegue):
            assert [x.pk for x in lecture(utilisateur=user, pk=m.e31.pk)] == [m.e31.pk]
        assert len(appels) == 2  # deux compilations (deux jeux de sentinelles) pour les enseignants
        assert lecture(utilisateur=c.administrateur, pk=m.e2.pk)[0].pk == m.e2.pk
        assert len(appels) == 4  # l'administrateur voit tout : une autre requête, compilée à son tour…
        assert lecture(utilisateur=c.administrateur, pk=m.e31.pk)[0].pk == m.e31.pk
        assert len(appels) == 4  # … une fois, bien que l'utilisateur n'y soit pas un paramètre
        with CaptureQueriesContext(connection) as requetes:
            lecture(utilisateur=m.collegue, pk=m.e32.pk)
            lecture(utilisateur=c.enseignant, pk=m.e2.pk)
    assert len(requetes) == 2  # une requête SQL par lecture, rien d'autre (ni permissions relues, ni recompilation)


def test_une_valeur_qui_change_la_requete_autrement_que_par_un_parametre_n_est_pas_figee():
    """Une tranche [:n] s'écrit LIMIT n dans le SQL : les deux compilations diffèrent, la requête est reconstruite à
    chaque appel et le résultat reste juste."""
    m = monde()
    lecture = RequeteFigee(lambda n: MembreCommission.objects.order_by("pk")[:n])
    assert len(lecture(n=1)) == 1
    assert len(lecture(n=2)) == 2
    assert not hasattr(next(iter(lecture._compilees.values())), "sql")
    assert m.e31.membres_commission.count() == 2


def test_une_branche_sur_la_valeur_est_decelee_par_la_verification():
    """La fabrique ne doit dépendre de ses valeurs que par les paramètres du SQL : une branche sur la valeur (ici
    compilée avec des sentinelles positives) donnerait une autre requête. La vérification des tests la refuse."""
    m = monde()
    lecture = RequeteFigee(
        lambda pk: MembreCommission.objects.filter(pk=pk) if pk > 20_000 else MembreCommission.objects.none()
    )
    with pytest.raises(AssertionError, match="Requête figée ≠ ORM"):
        lecture(pk=m.e31.membres_commission.first().pk)


def test_les_constantes_et_les_types_de_psycopg_sont_respectes():
    """situation est un petit entier (Int2 pour psycopg), epreuve une chaîne : la grille lue est la bonne, et une
    autre situation ou une autre épreuve ne rend rien."""
    from tests.examens.test_grilles import remplir

    m = monde()
    c = m.comptes
    grille = remplir(m.e31, m.candidat, c.enseignant, "S")
    lue = lectures.grille_existante(m.candidat, "E31", 1)
    assert lue.pk == grille.pk and lue.gabarit_id == grille.gabarit_id and lue.modifiee_par == c.enseignant
    assert list(lue.validations.all()) == []
    assert lectures.grille_existante(m.candidat, "E31", 2) is None
    assert lectures.grille_existante(m.candidat, "E32", 1) is None


def test_un_verrou_hors_transaction_est_refuse_comme_par_l_orm(transactional_db):
    m = monde()
    with transaction.atomic():
        lectures.grille_verrouillee(m.comptes.enseignant, m.candidat, m.e31, 1)  # compilée dans une transaction
    with pytest.raises(TransactionManagementError):
        lectures.grille_verrouillee(m.comptes.enseignant, m.candidat, m.e31, 1)


def test_la_lecture_passe_par_la_connexion_du_fil_qui_l_execute(transactional_db):
    """Les connexions de Django sont propres à chaque fil (le serveur de test en a un par requête) : une requête
    compilée dans un fil s'exécute sur la connexion d'un autre."""
    m = monde()
    lecture = RequeteFigee(lambda pk: Commission.objects.filter(pk=pk))
    assert lecture(pk=m.e31.pk)[0].pk == m.e31.pk
    vus = []

    def ailleurs():
        from django.db import connections

        try:
            vus.append(lecture(pk=m.e2.pk)[0].pk)
            vus.append(connections["default"] is not connection)
        finally:
            connections.close_all()

    fil = threading.Thread(target=ailleurs)
    fil.start()
    fil.join()
    assert vus == [m.e2.pk, True]


def test_les_valeurs_sont_des_entiers_des_chaines_ou_l_utilisateur():
    lecture = RequeteFigee(lambda pk: Commission.objects.filter(pk=pk))
    with pytest.raises(TypeError):
        lecture(pk=1.5)
    with pytest.raises(TypeError):
        lecture(pk=True)


def test_une_valeur_hors_des_bornes_de_sa_colonne_ne_rend_rien_sans_erreur(client):
    """Une année de douze chiffres dans l'adresse : l'ORM compile un filtre vide, la requête figée le laisse faire
    (PostgreSQL refuserait le paramètre d'une colonne smallint) ; la page répond 404, pas 500."""
    m = monde()
    client.force_login(m.comptes.gestionnaire)
    assert client.get("/examens/sessions/2026/candidats/").status_code == 200
    for annee in (99_999_999_999, 40_000, 2**15):
        assert client.get(f"/examens/sessions/{annee}/candidats/").status_code == 404
    assert lectures.grille_existante(m.candidat, "E31", 2**15) is None
    assert lectures.grille_existante(m.candidat, "E31", 10**20) is None


def test_une_forme_par_tri_compilee_a_part_et_un_resultat_joint_qui_connait_son_candidat():
    """La forme (un tri) est une constante de la requête : une compilation chacune, chacune dans son ordre. Le
    résultat joint par select_related renvoie à son candidat : la vérification des tests ne tourne pas en rond."""
    from examens.models import Candidat
    from tests import fabriques

    m = monde()
    division = m.comptes.division_a
    for nom in ("BRUN", "ALBERT", "CARON"):
        fabriques.candidat(division=division, nom=nom)
    fabrique, appels = _compteur(lambda tri, **v: Candidat.objects.filter(division_id=v["division"]).order_by(tri))
    fabrique_jointe = RequeteFigee(
        lambda tri, **v: Candidat.objects.filter(division_id=v["division"]).select_related("resultat").order_by(tri)
    )
    requete = RequeteFigee(fabrique)
    croissant = [c.nom for c in requete("nom", division=division.pk)]
    decroissant = [c.nom for c in requete("-nom", division=division.pk)]
    assert croissant == sorted(croissant) and len(croissant) >= 3 and decroissant == croissant[::-1]
    assert [c.nom for c in requete("nom", division=division.pk)] == croissant
    # Deux compilations par forme (valeurs sentinelles) ; la seconde lecture de « nom » n'en refait pas. Les autres
    # appels sont ceux de la vérification des tests, qui relit par l'ORM avec la vraie division.
    assert len([a for a in appels if a["division"] != division.pk]) == 2 * 2
    with override_settings(REQUETES_FIGEES_VERIFIEES=True):
        lus = fabrique_jointe("nom", division=division.pk)
    assert all(c.resultat.candidat is c for c in lus)


def _journal(requetes) -> list[str]:
    return [r["sql"] for r in requetes.captured_queries]


def test_une_requete_figee_est_preparee_une_fois_par_connexion_puis_executee(transactional_db):
    """PREPARE une fois par connexion de PostgreSQL (hors du journal de Django), puis EXECUTE avec les valeurs ;
    une nouvelle connexion (fermée entre deux requêtes HTTP) prépare de nouveau, sans erreur."""
    m = monde()
    lecture = RequeteFigee(lambda pk: Commission.objects.select_related("gabarit").filter(pk=pk))
    with CaptureQueriesContext(connection) as requetes:
        assert lecture(pk=m.e31.pk)[0].gabarit.epreuve == "E31"
        assert lecture(pk=m.e2.pk)[0].pk == m.e2.pk
    sql = _journal(requetes)
    assert len(sql) == 2 and all(s.startswith("EXECUTE agora_figee_") for s in sql), sql
    assert 'FROM "examens_commission"' in sql_lisible(sql[0]) and sql_lisible("SELECT 1") == "SELECT 1"
    with connection.cursor() as curseur:
        curseur.execute(
            "SELECT statement FROM pg_prepared_statements WHERE name = %s", [sql[0].split()[1].partition("(")[0]]
        )
        assert 'FROM "examens_commission"' in curseur.fetchone()[0]
    connection.close()
    assert lecture(pk=m.e31.pk)[0].pk == m.e31.pk  # nouvelle connexion : préparée de nouveau
    with override_settings(REQUETES_PREPAREES=False), CaptureQueriesContext(connection) as requetes:
        assert lecture(pk=m.e31.pk)[0].pk == m.e31.pk
    assert _journal(requetes)[0].startswith("SELECT")


def test_une_requete_que_postgresql_ne_sait_pas_preparer_est_executee_comme_avant():
    """« %s IS NULL » sur une chaîne : PostgreSQL ne peut pas décider du type du paramètre. L'échec de PREPARE est
    rattrapé par un point de sauvegarde : la transaction du test continue, et la requête est exécutée en SQL."""
    from django.db.models.expressions import RawSQL

    m = monde()
    lecture = RequeteFigee(
        lambda pk: Commission.objects.annotate(sans_nom=RawSQL("%s IS NULL", ("x",))).filter(pk=pk)  # noqa: S611
    )
    with CaptureQueriesContext(connection) as requetes:
        lue = lecture(pk=m.e31.pk)
    assert lue[0].pk == m.e31.pk and lue[0].sans_nom is False
    assert _journal(requetes)[0].startswith("SELECT")
    assert Commission.objects.filter(pk=m.e2.pk).exists()  # la transaction n'est pas gâchée


def test_un_entier_hors_de_bigint_ne_rend_rien_sans_erreur():
    """Un entier de Python est déclaré bigint à PREPARE : au-delà, la requête figée laisse l'ORM répondre « rien »
    (PostgreSQL refuserait le paramètre, là où une requête non préparée compare sans erreur)."""
    m = monde()
    lecture = RequeteFigee(lambda pk: Commission.objects.filter(pk=pk))
    assert lecture(pk=m.e31.pk)[0].pk == m.e31.pk
    assert lecture(pk=10**19) == [] and lecture(pk=-(10**19)) == []
    assert lecture(pk=2**63 - 1) == []


def test_les_objets_construits_sans_model_init_sont_ceux_de_l_orm():
    """Le plan de lecture (`_Plan`) construit les objets sans Model.__init__ : mêmes champs, mêmes objets liés
    (un lien nul compris), mêmes champs différés, même état (`_state`) que l'ORM, et ils s'enregistrent comme eux."""
    from examens.models import Candidat, Division
    from tests import fabriques

    m = monde()
    sans_division = fabriques.candidat(division=m.comptes.division_a, nom="SANSDIV")
    Candidat.objects.filter(pk=sans_division.pk).update(division=None)
    lecture = RequeteFigee(
        lambda session: (
            Candidat.objects.filter(session_id=session)
            .select_related("division__etablissement", "etablissement")
            .defer("prenom")
            .order_by("nom", "pk")
        )
    )
    with override_settings(REQUETES_FIGEES_VERIFIEES=False):
        lus = lecture(session=sans_division.session_id)
    attendus = list(
        Candidat.objects.filter(session_id=sans_division.session_id)
        .select_related("division__etablissement", "etablissement")
        .defer("prenom")
        .order_by("nom", "pk")
    )
    from agora.requetes import _empreinte

    assert len(lus) >= 2 and _empreinte(lus) == _empreinte(attendus)
    assert lecture._compilees and all(c.plan.simple for c in lecture._compilees.values())
    lu = next(c for c in lus if c.pk == sans_division.pk)
    assert lu.division is None and "prenom" not in lu.__dict__ and lu.get_deferred_fields() == {"prenom"}
    assert lu._state.adding is False and lu._state.db == "default"
    autre = next(c for c in lus if c.division is not None)
    assert isinstance(autre.division, Division) and autre.division.etablissement.pk == autre.division.etablissement_id
    lu.nom = "RENOMME"
    lu.save(update_fields=["nom"])  # un objet construit par le plan s'enregistre comme un objet de l'ORM
    assert Candidat.objects.get(pk=lu.pk).nom == "RENOMME"
    assert lu.prenom == Candidat.objects.get(pk=lu.pk).prenom  # le champ différé se relit à la demande


def test_un_recepteur_de_post_init_rend_la_lecture_a_django():
    """Un récepteur de pre_init ou post_init branché (une bibliothèque, un jour) : les objets sont construits par
    Django, qui l'appelle, et non par le plan."""
    from django.db.models.signals import post_init

    m = monde()
    lecture = RequeteFigee(lambda pk: Commission.objects.select_related("gabarit").filter(pk=pk))
    assert lecture(pk=m.e31.pk)[0].pk == m.e31.pk
    vus = []

    def recepteur(sender, instance, **kwargs):
        vus.append(type(instance).__name__)

    with override_settings(REQUETES_FIGEES_VERIFIEES=False):  # la relecture par l'ORM appellerait le récepteur
        assert lecture(pk=m.e31.pk)[0].pk == m.e31.pk
        assert vus == []
        post_init.connect(recepteur)
        try:
            assert lecture(pk=m.e31.pk)[0].gabarit.epreuve == "E31"
        finally:
            post_init.disconnect(recepteur)
    assert sorted(vus) == ["Commission", "GabaritGrille"], vus
