"""Échéances de saisie, réouvertures exceptionnelles et propositions de notes (issue #17, 3e partie).

Comme l'organisation du CCF : les modèles vivent ici, examens/models.py les importe en dernière ligne ; ils
appartiennent à l'application « examens » et leurs migrations sont dans examens/migrations.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from examens.echeances import regle


class Nature(models.TextChoices):
    CCF = regle.CCF, "toutes les unités en CCF"
    PONCTUEL = regle.PONCTUEL, "toutes les unités en ponctuel"


class AvecPortee(models.Model):
    """Une unité (« U31 ») OU une nature (CCF, ponctuel) OU toutes les unités ; un établissement ou tous."""

    session = models.ForeignKey("examens.Session", on_delete=models.CASCADE)
    unite = models.CharField("unité", max_length=5, blank=True)
    nature = models.CharField("nature", max_length=10, choices=Nature.choices, blank=True)
    etablissement = models.ForeignKey(
        "examens.Etablissement", on_delete=models.CASCADE, null=True, blank=True, verbose_name="établissement"
    )
    auteur = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    cree_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def libelle_portee(self) -> str:
        """« U31 », « toutes les unités en CCF », « toutes les unités »."""
        return self.unite or (self.get_nature_display() if self.nature else "toutes les unités")

    @property
    def libelle_etablissement(self) -> str:
        return self.etablissement.nom if self.etablissement_id else "tous les établissements"


class Echeance(AvecPortee):
    """Date de fermeture de la saisie (notes et grilles) pour une portée : fixée par la division des examens."""

    fermee_le = models.DateTimeField("saisie close le")
    modifiee_le = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "échéance de saisie"
        verbose_name_plural = "échéances de saisie"
        ordering = ["session", "fermee_le", "unite", "nature"]
        permissions = [("gerer_echeances", "Peut fixer les échéances de saisie et rouvrir")]
        constraints = [
            models.CheckConstraint(condition=Q(unite="") | Q(nature=""), name="echeance_unite_ou_nature"),
            # Une seule échéance par portée : la règle n'a jamais à choisir entre deux dates de même précision.
            models.UniqueConstraint(
                fields=["session", "unite", "nature", "etablissement"], nulls_distinct=False, name="echeance_unique"
            ),
        ]

    def __str__(self):
        return f"{self.libelle_portee} ({self.libelle_etablissement}) : close le {self.fermee_le:%d/%m/%Y %H:%M}"

    def pure(self) -> regle.Echeance:
        return regle.Echeance(self.pk, regle.Portee(self.unite, self.nature, self.etablissement_id), self.fermee_le)


class Reouverture(AvecPortee):
    """Réouverture exceptionnelle : des personnes nommées, une portée (éventuellement un seul candidat), une fin,
    un motif ; « proposition seulement » : leurs saisies attendent la validation de la division des examens."""

    candidat = models.ForeignKey("examens.Candidat", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    beneficiaires = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="reouvertures", verbose_name="bénéficiaires"
    )
    fin = models.DateTimeField("fin de la réouverture")
    motif = models.TextField("motif")
    proposition_seulement = models.BooleanField("proposition seulement", default=False)

    class Meta:
        verbose_name = "réouverture de la saisie"
        verbose_name_plural = "réouvertures de la saisie"
        ordering = ["session", "-cree_le"]
        constraints = [
            models.CheckConstraint(condition=Q(unite="") | Q(nature=""), name="reouverture_unite_ou_nature"),
            models.CheckConstraint(condition=~Q(motif=""), name="reouverture_motif"),
        ]

    def __str__(self):
        return f"Réouverture {self.libelle_portee} ({self.libelle_etablissement}) jusqu'au {self.fin:%d/%m/%Y %H:%M}"

    def pure(self, beneficiaires) -> regle.Reouverture:
        return regle.Reouverture(
            self.pk,
            regle.Portee(self.unite, self.nature, self.etablissement_id, self.candidat_id),
            frozenset(beneficiaires),
            self.fin,
            self.proposition_seulement,
        )


class PropositionNote(models.Model):
    """Une note saisie pendant une réouverture « proposition seulement » : elle n'entre dans la délibération
    (par la porte unique `services.ecrire_notes`) que validée par la division des examens."""

    class Etat(models.TextChoices):
        EN_ATTENTE = "en_attente", "en attente"
        VALIDEE = "validee", "validée"
        REFUSEE = "refusee", "refusée"

    reouverture = models.ForeignKey(Reouverture, on_delete=models.SET_NULL, null=True, related_name="propositions")
    candidat = models.ForeignKey("examens.Candidat", on_delete=models.CASCADE, related_name="propositions")
    unite = models.CharField("unité", max_length=5)
    groupe = models.PositiveSmallIntegerField(default=1)
    texte = models.CharField("note proposée", max_length=12)  # telle que saisie : « 14,5 », « ABJ »
    motif = models.TextField(blank=True)
    auteur = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    cree_le = models.DateTimeField(auto_now_add=True)
    etat = models.CharField("état", max_length=10, choices=Etat.choices, default=Etat.EN_ATTENTE)
    decidee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decidee_le = models.DateTimeField(null=True, blank=True)
    motif_decision = models.TextField("motif de la décision", blank=True)

    class Meta:
        verbose_name = "proposition de note"
        verbose_name_plural = "propositions de notes"
        ordering = ["cree_le"]

    def __str__(self):
        return f"{self.candidat.numero} {self.unite} : {self.texte} ({self.get_etat_display()})"
