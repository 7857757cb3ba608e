"""Le périmètre : quels candidats et quels établissements un utilisateur lit, et lesquels il écrit.

Une seule source pour les lectures et pour toutes les portes d'écriture (pages, imports du navigateur, commandes
lancées au nom d'un utilisateur). Lire et écrire ne se recouvrent pas tout à fait :

- lire : l'administrateur voit tout ; le gestionnaire, les candidats de ses établissements ; l'enseignant, ceux de
  ses divisions et des divisions des commissions d'évaluation dont il est membre ;
- écrire au nom du bureau des examens (candidats, notes, jury, imports) : l'administrateur partout ; le
  gestionnaire dans les établissements qu'il gère, et nulle part ailleurs, même s'il y enseigne ;
- écrire un dossier PFMP : le bureau des examens comme ci-dessus, plus l'enseignant référent pour ses divisions
  (pas un membre de commission venu seulement évaluer des grilles) ;
- créer un établissement : l'administrateur seul.

`utilisateur=None` désigne le système : une commande lancée sans `--utilisateur`, qui agit avec les droits d'un
administrateur et le dit au journal (`mention_systeme`).

Les rôles deviendront des données (gestionnaire académique, jury…) : chaque fonction ci-dessous est le seul
endroit à adapter, les vues, services, imports et tests n'appellent qu'elles.
"""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from examens.models import Candidat, Commission, Division, Etablissement, MembreCommission
from examens.services import OperationRefusee

HORS_PERIMETRE = "hors de votre périmètre"
SYSTEME = "système (commande sans --utilisateur : droits d'administrateur)"


class HorsPerimetre(OperationRefusee):
    """Écriture refusée : l'objet n'est pas dans le périmètre de l'utilisateur. Rien n'est écrit.

    `champ` : le champ du formulaire à côté duquel placer le message (ex. « uai »).
    """

    def __init__(self, message: str, champ: str = ""):
        super().__init__(message)
        self.champ = champ


def voit_tout(utilisateur) -> bool:
    return utilisateur is None or utilisateur.has_perm("examens.voir_tout")


def mention_systeme(utilisateur) -> dict:
    """À joindre au journal d'une écriture faite sans utilisateur nommé, pour qu'elle ne passe pas pour anonyme."""
    return {"droits": SYSTEME} if utilisateur is None else {}


# ------------------------------------------------------------------------------------------- lecture


def _etablissements_geres(utilisateur):
    return Etablissement.gestionnaires.through.objects.filter(user=utilisateur).values("etablissement_id")


def _divisions_enseignees(utilisateur):
    return Division.enseignants.through.objects.filter(user=utilisateur).values("division_id")


def candidats_visibles(utilisateur, qs: QuerySet | None = None) -> QuerySet:
    """Administrateur : tout ; gestionnaire : ses établissements ; enseignant : ses divisions et celles
    des commissions d'évaluation dont il est membre en qualité d'enseignant.

    Le professionnel d'une commission (E32) n'y gagne aucun candidat : il n'a accès qu'à ses grilles, par
    les pages de la commission, qui vérifient elles-mêmes qu'il en est membre. Le dossier complet (toutes
    les notes, date de naissance, PFMP) reste à l'équipe pédagogique.
    """
    qs = Candidat.objects.all() if qs is None else qs
    if voit_tout(utilisateur):
        return qs
    # Sous-requêtes IN plutôt que jointures + DISTINCT : pas de doublons à éliminer, et le filtre reste
    # combinable (division, session…) sans parcourir toute une session nationale.
    commissions = MembreCommission.objects.filter(
        utilisateur=utilisateur, qualite=MembreCommission.Qualite.ENSEIGNANT
    ).values("commission_id")
    divisions_ccf = Commission.divisions.through.objects.filter(commission_id__in=commissions).values("division_id")
    return qs.filter(
        Q(etablissement_id__in=_etablissements_geres(utilisateur))
        | Q(division_id__in=_divisions_enseignees(utilisateur))
        | Q(division_id__in=divisions_ccf)
    )


def divisions_visibles(utilisateur, qs: QuerySet | None = None) -> QuerySet:
    """Les divisions que l'utilisateur peut filtrer : la règle de `candidats_visibles`, à une différence près
    — le professionnel d'une commission voit aussi les divisions de ses commissions (leur nom seulement, pour
    filtrer ses commissions ; aucun candidat). Sous-requêtes IN plutôt que jointures + DISTINCT, qui
    multipliaient chaque division par ses enseignants et ses gestionnaires avant de les dédoublonner."""
    qs = Division.objects.all() if qs is None else qs
    if voit_tout(utilisateur):
        return qs
    commissions = MembreCommission.objects.filter(utilisateur=utilisateur).values("commission_id")
    divisions_ccf = Commission.divisions.through.objects.filter(commission_id__in=commissions).values("division_id")
    return qs.filter(
        Q(etablissement_id__in=_etablissements_geres(utilisateur))
        | Q(pk__in=_divisions_enseignees(utilisateur))
        | Q(pk__in=divisions_ccf)
    )


def commissions_visibles(utilisateur, qs: QuerySet | None = None) -> QuerySet:
    """Administrateur : toutes ; gestionnaire : celles de ses établissements ; enseignant : les siennes."""
    qs = Commission.objects.all() if qs is None else qs
    if voit_tout(utilisateur):
        return qs
    commissions = MembreCommission.objects.filter(utilisateur=utilisateur).values("commission_id")
    return qs.filter(Q(etablissement_id__in=_etablissements_geres(utilisateur)) | Q(pk__in=commissions))


# ------------------------------------------------------------------------------------------- écriture


def etablissements_ecrivables(utilisateur) -> QuerySet:
    """Les établissements où l'utilisateur inscrit et modifie des candidats et leurs notes."""
    if voit_tout(utilisateur):
        return Etablissement.objects.all()
    return Etablissement.objects.filter(pk__in=_etablissements_geres(utilisateur))


def candidats_ecrivables(utilisateur, qs: QuerySet | None = None) -> QuerySet:
    """Les candidats dont l'utilisateur écrit le dossier d'examen (fiche, notes, jury, imports)."""
    qs = Candidat.objects.all() if qs is None else qs
    if voit_tout(utilisateur):
        return qs
    return qs.filter(etablissement_id__in=_etablissements_geres(utilisateur))


def candidats_pfmp_ecrivables(utilisateur, qs: QuerySet | None = None) -> QuerySet:
    """Les candidats dont l'utilisateur écrit le dossier PFMP : le bureau des examens, plus l'enseignant référent
    de la division (un membre de commission qui n'enseigne pas dans la division n'y écrit rien)."""
    qs = Candidat.objects.all() if qs is None else qs
    if voit_tout(utilisateur):
        return qs
    return qs.filter(
        Q(etablissement_id__in=_etablissements_geres(utilisateur))
        | Q(division_id__in=_divisions_enseignees(utilisateur))
    )


def peut_ecrire_candidat(utilisateur, candidat: Candidat) -> bool:
    return (
        voit_tout(utilisateur) or etablissements_ecrivables(utilisateur).filter(pk=candidat.etablissement_id).exists()
    )


def peut_ecrire_pfmp(utilisateur, candidat: Candidat) -> bool:
    return voit_tout(utilisateur) or candidats_pfmp_ecrivables(utilisateur).filter(pk=candidat.pk).exists()


def peut_ecrire_etablissement(utilisateur, etablissement: Etablissement) -> bool:
    return voit_tout(utilisateur) or etablissements_ecrivables(utilisateur).filter(pk=etablissement.pk).exists()


def peut_creer_etablissement(utilisateur) -> bool:
    """Créer un établissement est un acte d'administrateur (un UAI inconnu n'est pas une faute de frappe à
    absorber en silence)."""
    return voit_tout(utilisateur)


def message_etablissement_inconnu(uai: str) -> str:
    return f"UAI {uai} inconnu : seul un administrateur crée un établissement"


def message_etablissement_hors(uai: str) -> str:
    return f"UAI {uai} : établissement {HORS_PERIMETRE}"


def message_candidat_inconnu(numero: str, annee: int) -> str:
    """Même message pour un numéro qui n'existe pas et pour un numéro d'un autre établissement : un import ne
    doit pas servir à deviner les numéros inscrits ailleurs."""
    return f"numero_candidat « {numero} » inconnu dans la session {annee} ou {HORS_PERIMETRE}"


def verifier_ecriture(
    utilisateur, *, candidats: Iterable[Candidat] = (), etablissement: Etablissement | None = None
) -> None:
    """Lève `HorsPerimetre` si l'un des candidats ou l'établissement est hors du périmètre d'écriture."""
    if voit_tout(utilisateur):
        return
    autorises = set(etablissements_ecrivables(utilisateur).values_list("pk", flat=True))
    if etablissement is not None and etablissement.pk not in autorises:
        raise HorsPerimetre(message_etablissement_hors(etablissement.uai), champ="uai")
    for candidat in candidats:
        if candidat.etablissement_id not in autorises:
            raise HorsPerimetre(f"Candidat {candidat.numero} : {HORS_PERIMETRE}.")
