"""Les rôles de l'examen, sous forme de groupes Django porteurs de permissions.

Créés (et remis à jour) après chaque migration, et par `manage.py creer_roles`. Un groupe dit ce qu'un rôle
peut faire ; les données disent sur quoi (le périmètre : établissements gérés, académies, divisions, jurys,
commissions), et `examens.perimetre` en fait une fonction par rôle, seule lue par les vues et les services.

- enseignant : ses divisions et ses commissions (grilles, dossiers PFMP de ses divisions) ;
- membre de commission externe (professionnel) : ses grilles seulement ;
- gestionnaire d'établissement : ses lycées (candidats, notes CCF, imports, dossiers PFMP) ; il ne délibère pas ;
- gestionnaire académique (division des examens) : les établissements de son académie, les notes ponctuelles,
  les jurys, les échéances de saisie, le verrouillage et le déverrouillage ;
- jury (président et membres) : les candidats de son jury — délibération, points de jury, verrouillage et
  validation du procès-verbal par le président ;
- administrateur : tout, et les comptes.
"""

from django.apps import apps as django_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

ENSEIGNANT = "enseignant"
COMMISSION = "commission_externe"
GESTIONNAIRE = "gestionnaire"
ACADEMIE = "gestionnaire_academique"
JURY = "jury"
ADMINISTRATEUR = "administrateur"
ROLES = (ENSEIGNANT, COMMISSION, GESTIONNAIRE, ACADEMIE, JURY, ADMINISTRATEUR)
LIBELLES = {
    ENSEIGNANT: "enseignant",
    COMMISSION: "membre de commission externe",
    GESTIONNAIRE: "gestionnaire d'établissement",
    ACADEMIE: "gestionnaire académique",
    JURY: "jury",
    ADMINISTRATEUR: "administrateur",
}

# Permissions « application.codename » de chaque rôle ; l'administrateur les a toutes.
PERMISSIONS = {
    ENSEIGNANT: [
        "examens.view_candidat",
        "examens.view_note",
        "referentiel.view_referentiel",
        # PFMP : l'enseignant référent saisit périodes, attestations et évaluations du tuteur (ses divisions).
        "pfmp.view_convention",
        "pfmp.add_convention",
        "pfmp.change_convention",
        "pfmp.view_attestation",
        "pfmp.add_attestation",
        "pfmp.view_evaluation",
        "pfmp.add_evaluation",
        "pfmp.change_evaluation",
        "pfmp.view_organisation",
        "pfmp.add_organisation",
        "pfmp.view_certificattravail",
        "pfmp.view_dossierpfmp",
    ],
    GESTIONNAIRE: [
        "examens.view_candidat",
        "examens.add_candidat",
        "examens.change_candidat",
        "examens.view_note",
        "examens.add_note",
        "examens.change_note",
        "examens.view_session",
        "examens.view_division",
        "examens.add_division",
        "examens.change_division",
        "examens.importer",
        "examens.exporter",
        "referentiel.view_referentiel",
        "pfmp.view_convention",
        "pfmp.add_convention",
        "pfmp.change_convention",
        "pfmp.view_attestation",
        "pfmp.add_attestation",
        "pfmp.view_evaluation",
        "pfmp.add_evaluation",
        "pfmp.change_evaluation",
        "pfmp.view_organisation",
        "pfmp.add_organisation",
        "pfmp.view_certificattravail",
        "pfmp.view_dossierpfmp",
        "pfmp.delete_convention",
        "pfmp.add_certificattravail",
        "pfmp.delete_certificattravail",
        "pfmp.change_dossierpfmp",
        "pfmp.importer",
        "pfmp.synchroniser",
    ],
    # Ses grilles seulement : les pages de commission vérifient qu'il en est membre (examens.perimetre).
    COMMISSION: ["examens.view_candidat"],
    JURY: [
        "examens.view_candidat",
        "examens.view_note",
        "examens.view_session",
        "examens.deliberer",
        "examens.verrouiller",
        "examens.exporter",
        "referentiel.view_referentiel",
        "pfmp.view_dossierpfmp",
    ],
}
# La division des examens fait tout ce que fait un gestionnaire d'établissement, dans son académie, et plus.
PERMISSIONS[ACADEMIE] = PERMISSIONS[GESTIONNAIRE] + [
    "examens.deliberer",
    "examens.verrouiller",
    "examens.deverrouiller",
    "examens.gerer_jurys",
    "examens.gerer_echeances",
]
APPLICATIONS = ("referentiel", "examens", "pfmp")


def creer_roles() -> dict[str, Group]:
    """Idempotent : crée les groupes et leur donne exactement leurs permissions."""
    for config in django_apps.get_app_configs():
        create_permissions(config, verbosity=0)
    groupes = {}
    for role in ROLES:
        groupe, _ = Group.objects.get_or_create(name=role)
        if role == ADMINISTRATEUR:
            perms = Permission.objects.filter(content_type__app_label__in=APPLICATIONS)
        else:
            perms = [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in (p.split(".") for p in PERMISSIONS[role])
            ]
        groupe.permissions.set(perms)
        groupes[role] = groupe
    return groupes


def apres_migration(sender, **kwargs):
    # post_migrate est émis pour chaque application : on attend la dernière, quand toutes les tables existent.
    if sender.name == "pfmp":
        creer_roles()


def role_de(user) -> str | None:
    """Le rôle affiché (navigation, accueil), déduit des permissions que les rôles ne partagent pas.

    Les permissions sont déjà en cache sur l'utilisateur dès qu'une vue les a vérifiées : pas de requête de plus
    sur les groupes à chaque page.
    """
    if not user.is_authenticated:
        return None
    for role, permission in (
        (ADMINISTRATEUR, "examens.voir_tout"),
        (ACADEMIE, "examens.gerer_jurys"),
        (GESTIONNAIRE, "examens.importer"),
        (JURY, "examens.deliberer"),
        (ENSEIGNANT, "pfmp.view_convention"),
        (COMMISSION, "examens.view_candidat"),
    ):
        if user.has_perm(permission):
            return role
    return None
