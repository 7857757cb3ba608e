"""Le moteur d'authentification : celui de Django, avec les permissions lues en une requête au lieu de deux.

Chaque page authentifiée demande les permissions de l'utilisateur (le décorateur `permission_required`, puis le
rôle affiché) : `ModelBackend` les lit en deux requêtes ORM, celles du compte et celles de ses groupes (≈ 1,5 ms
de processeur par page pour les compiler). Ici une seule requête SQL fait l'union des deux ;
le résultat est gardé sur l'objet utilisateur pour la durée de la requête HTTP, comme le fait Django (`_perm_cache`).
Rien n'est gardé d'une requête à l'autre : un droit retiré vaut dès la page suivante, sur tous les workers.

Le compte de la session (`get_user`, à chaque page) est lu avec ses permissions dans la même requête, et cette
requête est celle de la session elle-même (agora/sessions.py) : deux allers-retours de moins par page
authentifiée (sur un serveur chargé, chaque aller-retour attend aussi son tour de processeur côté PostgreSQL).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.db.models.expressions import RawSQL

from agora.requetes import RequeteFigee


# Les tables de django.contrib.auth, dont les noms sont fixes. Les permissions du compte `cle` (un paramètre %s ou
# une colonne de la requête qui l'englobe) : les siennes et celles de ses groupes.
def _du_compte(cle: str) -> str:
    return f"""
FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
WHERE p.id IN (
    SELECT permission_id FROM auth_user_user_permissions WHERE user_id = {cle}
    UNION
    SELECT gp.permission_id FROM auth_group_permissions gp
    JOIN auth_user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = {cle}
)
"""


PERMISSIONS_DU_COMPTE = "SELECT ct.app_label, p.codename" + _du_compte("%s")


def permissions_en_tableau(cle: str = "%s") -> str:
    """Les mêmes, nommées « app.code » et triées, en un tableau PostgreSQL : une colonne du compte lu à chaque page
    (ici, ou avec la session : agora/sessions.py)."""
    return "ARRAY(SELECT ct.app_label || '.' || p.codename" + _du_compte(cle) + "ORDER BY 1)"


TOUTES_LES_PERMISSIONS = """
SELECT ct.app_label, p.codename FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
"""


# Le compte de la session, relu à chaque page avec ses permissions : sa requête est compilée une fois par processus
# (agora/requetes.py).
_COMPTE = RequeteFigee(
    lambda pk: (
        get_user_model()
        ._default_manager.filter(pk=pk)
        .annotate(permissions_lues=RawSQL(permissions_en_tableau(), (pk, pk)))
    )
)


class PermissionsEnUneRequete(ModelBackend):
    def get_user(self, user_id):
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            return super().get_user(user_id)
        from agora.sessions import reprendre_compte

        compte = reprendre_compte(user_id)  # lu avec la session de cette requête, s'il est celui-ci
        if compte is None:
            trouves = _COMPTE(pk=user_id)
            compte = trouves[0] if trouves else None
        if compte is None or not self.user_can_authenticate(compte):
            return None
        if not compte.is_superuser:  # le superutilisateur a toutes les permissions, lues à part s'il le faut
            compte._perm_cache = set(compte.permissions_lues)
        return compte

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            with connection.cursor() as curseur:
                if user_obj.is_superuser:
                    curseur.execute(TOUTES_LES_PERMISSIONS)
                else:
                    curseur.execute(PERMISSIONS_DU_COMPTE, [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app}.{code}" for app, code in curseur.fetchall()}
        return user_obj._perm_cache
