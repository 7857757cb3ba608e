"""Le périmètre : quels candidats et quels établissements un utilisateur lit, et lesquels il écrit.

Une seule source pour les lectures et pour toutes les portes d'écriture (pages, imports du navigateur, commandes
lancées au nom d'un utilisateur). Lire et écrire ne se recouvrent pas tout à fait :

- lire : l'administrateur voit tout ; le gestionnaire, les candidats de ses établissements ; l'enseignant, ceux de
  ses divisions et des divisions des commissions d'évaluation dont il est membre ;
- écrire au nom du bureau des examens (candidats, notes, jury, imports) : l'administrateur partout ; le
  gestionnaire dans les établissements qu'il gère, et nulle part ailleurs, même s'il y enseigne ;
- écrire un dossier PFMP : le bureau des examens comme ci-dessus, plus l'enseignant référent pour ses divisions
  (pas un membre de commission venu seulement évaluer des grilles) ;
- créer un établissement : l'administrateur seul ;
- délibérer (points et notes du jury, contrôle, verrouillage) : l'administrateur partout ; le gestionnaire
  académique dans les établissements de ses académies ; le président et les membres d'un jury pour les candidats
  des établissements de leur jury, dans la session du jury. Le gestionnaire d'un lycée ne délibère pas.

Un « gestionnaire » gère des établissements directement (gestionnaire d'établissement) ou par ses académies
(gestionnaire académique) : les deux suivent la même règle d'écriture du bureau des examens.

`utilisateur=None` désigne le système : une commande lancée sans `--utilisateur`, qui agit avec les droits d'un
administrateur et le dit au journal (`mention_systeme`).

Chaque fonction ci-dessous est le seul endroit où vit sa règle : les vues, services, imports et tests n'appellent
qu'elles (et `examens.jurys.regles_acces` pour « qui peut quoi sur ce jury »).
"""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from examens.models import (
    Academie,
    Candidat,
    Commission,
    Division,
    Etablissement,
    EtablissementJury,
    Jury,
    MembreCommission,
)
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
    """Directement (gestionnaire d'établissement) ou par une académie (gestionnaire académique)."""
    return Etablissement.objects.filter(
        Q(pk__in=Etablissement.gestionnaires.through.objects.filter(user=utilisateur).values("etablissement_id"))
        | Q(academie__in=Academie.gestionnaires.through.objects.filter(user=utilisateur).values("academie_id"))
    ).values("pk")


def _etablissements_academiques(utilisateur):
    return Etablissement.objects.filter(academie__gestionnaires=utilisateur).values("pk")


def jurys_de(utilisateur) -> QuerySet:
    """Les jurys où l'utilisateur siège, comme président ou comme membre."""
    return Jury.objects.filter(
        Q(president=utilisateur) | Q(pk__in=Jury.membres.through.objects.filter(user=utilisateur).values("jury_id"))
    )


def _dans_ses_jurys(utilisateur):
    """Condition sur un candidat : son établissement est couvert, dans sa session, par un jury de l'utilisateur."""
    return Exists(
        EtablissementJury.objects.filter(
            jury__in=jurys_de(utilisateur).values("pk"),
            session_id=OuterRef("session_id"),
            etablissement_id=OuterRef("etablissement_id"),
        )
    )


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
        | _dans_ses_jurys(utilisateur)
    )


def candidats_deliberables(utilisateur, qs: QuerySet | None = None) -> QuerySet:
    """Les candidats sur lesquels l'utilisateur agit en jury : administrateur partout, gestionnaire académique
    dans ses académies, président et membres pour les candidats de leurs jurys. Le gestionnaire d'un lycée, non."""
    qs = Candidat.objects.all() if qs is None else qs
    if voit_tout(utilisateur):
        return qs
    return qs.filter(Q(etablissement_id__in=_etablissements_academiques(utilisateur)) | _dans_ses_jurys(utilisateur))


def peut_deliberer_candidat(utilisateur, candidat: Candidat) -> bool:
    return voit_tout(utilisateur) or candidats_deliberables(utilisateur).filter(pk=candidat.pk).exists()


def jurys_visibles(utilisateur, qs: QuerySet | None = None) -> QuerySet:
    """Administrateur : tous ; gestionnaire académique : ceux qui couvrent un établissement de ses académies ;
    président et membres : les leurs."""
    qs = Jury.objects.all() if qs is None else qs
    if voit_tout(utilisateur):
        return qs
    academiques = EtablissementJury.objects.filter(
        etablissement_id__in=_etablissements_academiques(utilisateur)
    ).values("jury_id")
    return qs.filter(Q(pk__in=academiques) | Q(pk__in=jurys_de(utilisateur).values("pk")))


def etablissements_organisables(utilisateur) -> QuerySet:
    """Les établissements qu'un utilisateur rattache à un jury : ceux de ses académies (l'administrateur : tous)."""
    if voit_tout(utilisateur):
        return Etablissement.objects.all()
    return Etablissement.objects.filter(pk__in=_etablissements_academiques(utilisateur))


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
