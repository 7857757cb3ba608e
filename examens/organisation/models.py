"""Organisation du CCF : situations datées, passages des candidats, aménagements, conformité du dossier.

Les modèles vivent ici plutôt qu'au milieu de examens/models.py (que d'autres réécrivent en ce moment) ;
examens/models.py les importe en dernière ligne, ils appartiennent donc à l'application « examens » et leurs
migrations sont dans examens/migrations comme les autres.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q


class Amenagement(models.Model):
    """Aménagements d'épreuves d'un candidat (décision du recteur sur avis médical), avec leur décision.

    Seule une décision « accordée » compte pour le planificateur, les convocations et la feuille d'émargement.
    """

    class Decision(models.TextChoices):
        DEMANDEE = "demandee", "demandée (en attente)"
        ACCORDEE = "accordee", "accordée"
        REFUSEE = "refusee", "refusée"

    candidat = models.OneToOneField("examens.Candidat", on_delete=models.CASCADE, related_name="amenagement")
    temps_majore = models.PositiveSmallIntegerField(
        "majoration du temps (%)", default=0, help_text="33 pour un tiers-temps ; 0 : aucune majoration."
    )
    lecteur = models.BooleanField("lecteur", default=False)
    secretaire = models.BooleanField("secrétaire (scripteur)", default=False)
    accompagnant = models.CharField(
        "lecteur ou secrétaire désigné",
        max_length=100,
        blank=True,
        help_text="Réservé comme une salle : jamais deux fois à la même heure.",
    )
    materiel = models.CharField("matériel adapté", max_length=200, blank=True)
    salle = models.CharField("salle imposée", max_length=60, blank=True, help_text="Salle accessible, salle à part…")
    decision = models.CharField("décision", max_length=10, choices=Decision.choices, default=Decision.DEMANDEE)
    decision_date = models.DateField("date de la décision", null=True, blank=True)
    decision_reference = models.CharField("référence de la décision", max_length=100, blank=True)
    modifie_le = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "aménagement d'épreuves"
        verbose_name_plural = "aménagements d'épreuves"
        constraints = [
            models.CheckConstraint(condition=Q(temps_majore__lte=100), name="amenagement_majoration_max"),
        ]

    def __str__(self):
        return f"Aménagements de {self.candidat}"

    @property
    def accorde(self) -> bool:
        return self.decision == self.Decision.ACCORDEE

    def libelles(self) -> list[str]:
        """Ce que la convocation et la feuille d'émargement impriment, dans l'ordre de la décision."""
        if not self.accorde:
            return []
        out = []
        if self.temps_majore:
            out.append("tiers-temps" if self.temps_majore == 33 else f"temps majoré de {self.temps_majore} %")
        if self.lecteur:
            out.append("lecteur" + (f" ({self.accompagnant})" if self.accompagnant and not self.secretaire else ""))
        if self.secretaire:
            out.append("secrétaire" + (f" ({self.accompagnant})" if self.accompagnant else ""))
        if self.materiel:
            out.append(f"matériel : {self.materiel}")
        if self.salle:
            out.append(f"salle : {self.salle}")
        return out


class Situation(models.Model):
    """Une séance d'évaluation d'une commission : une date, une salle, des membres, des passages de candidats.

    Une situation de rattrapage naît d'une absence justifiée : sans date tant qu'elle n'est pas planifiée.
    """

    commission = models.ForeignKey("examens.Commission", on_delete=models.CASCADE, related_name="situations_ccf")
    numero = models.PositiveSmallIntegerField("situation d'évaluation", default=1)  # 1 ou 2 (E2 : deux situations)
    date = models.DateField(null=True, blank=True)
    salle = models.CharField(max_length=60, blank=True)
    membres = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="situations_ccf")
    rattrapage = models.BooleanField(default=False)
    creee_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "situation de CCF"
        verbose_name_plural = "situations de CCF"
        ordering = ["commission", "date", "salle", "pk"]
        constraints = [models.CheckConstraint(condition=Q(numero__in=[1, 2]), name="situation_ccf_numero")]

    def __str__(self):
        quand = self.date.strftime("%d/%m/%Y") if self.date else "à planifier"
        return f"{self.commission} · situation {self.numero} · {quand}{' · ' + self.salle if self.salle else ''}"


class Passage(models.Model):
    """Le créneau d'un candidat dans une situation, et sa présence marquée par la commission."""

    class Presence(models.TextChoices):
        A_MARQUER = "a_marquer", "à marquer"
        PRESENT = "present", "présent"
        ABSENT_JUSTIFIE = "absent_justifie", "absent (justifié)"
        ABSENT_NON_JUSTIFIE = "absent_non_justifie", "absent (non justifié)"

    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="passages")
    candidat = models.ForeignKey("examens.Candidat", on_delete=models.CASCADE, related_name="passages_ccf")
    debut = models.TimeField("heure de début", null=True, blank=True)
    duree = models.PositiveSmallIntegerField("durée (minutes)")
    amenagements = models.CharField("aménagements appliqués", max_length=300, blank=True)
    presence = models.CharField("présence", max_length=20, choices=Presence.choices, default=Presence.A_MARQUER)
    motif = models.TextField("motif de l'absence", blank=True)
    marque_le = models.DateTimeField(null=True, blank=True)
    marque_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rattrapage_de = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rattrapage"
    )

    class Meta:
        verbose_name = "passage de candidat"
        ordering = ["situation", "debut", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["situation", "candidat"], name="passage_unique"),
            models.CheckConstraint(condition=Q(duree__gt=0, duree__lte=1440), name="passage_duree"),
        ]

    def __str__(self):
        return f"{self.candidat} · {self.situation}"

    @property
    def fin(self) -> datetime.time | None:
        if self.debut is None:
            return None
        return (
            datetime.datetime.combine(datetime.date.min, self.debut) + datetime.timedelta(minutes=self.duree)
        ).time()


class ConformiteDossier(models.Model):
    """Vérification du dossier du candidat avant le jour de l'épreuve, pour qu'il puisse être corrigé."""

    commission = models.ForeignKey("examens.Commission", on_delete=models.CASCADE, related_name="conformites")
    candidat = models.ForeignKey("examens.Candidat", on_delete=models.CASCADE, related_name="conformites")
    conforme = models.BooleanField(default=False)
    date = models.DateField("vérifié le", null=True, blank=True)
    observation = models.CharField(max_length=300, blank=True)
    verifie_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "conformité du dossier"
        constraints = [models.UniqueConstraint(fields=["commission", "candidat"], name="conformite_unique")]

    def __str__(self):
        return f"Dossier de {self.candidat} : {'conforme' if self.conforme else 'à vérifier'}"


class ProductionEcrite(models.Model):
    """Une production écrite d'une situation d'E2 (PDF ou image), gardée pour le jury jusqu'à la délibération de
    la session suivante, puis effacée par une tâche planifiée qui le journalise (organisation.productions).

    Rangée en base comme les fichiers d'export : plusieurs serveurs web la servent sans dossier partagé.
    """

    passage = models.ForeignKey(Passage, on_delete=models.CASCADE, related_name="productions")
    nom = models.CharField(max_length=200)
    type_mime = models.CharField(max_length=30)
    contenu = models.BinaryField()
    taille = models.PositiveIntegerField("taille (octets)")
    sha256 = models.CharField(max_length=64)
    deposee_le = models.DateTimeField(auto_now_add=True)
    deposee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "production écrite (E2)"
        verbose_name_plural = "productions écrites (E2)"
        ordering = ["passage", "deposee_le", "pk"]

    def __str__(self):
        return self.nom
