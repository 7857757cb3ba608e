"""Le référentiel du diplôme (Annexes I et II a de l'arrêté du 18 février 2020), en données versionnées.

Une modification du référentiel est une nouvelle version chargée par `charger_referentiel` :
aucune ligne n'est modifiée à la main (l'admin est en lecture seule).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models


class Referentiel(models.Model):
    code = models.CharField("code", max_length=30, unique=True)
    intitule = models.TextField("intitulé")
    date_arrete = models.DateField("date de l'arrêté")
    premiere_session = models.PositiveSmallIntegerField("première session")
    empreinte = models.CharField("empreinte SHA-256 du fichier chargé", max_length=64)

    class Meta:
        verbose_name = "référentiel"
        ordering = ["code"]

    def __str__(self):
        return self.code

    def natural_key(self):
        return (self.code,)


class Pole(models.Model):
    referentiel = models.ForeignKey(Referentiel, on_delete=models.CASCADE, related_name="poles")
    numero = models.PositiveSmallIntegerField("numéro")
    intitule = models.TextField("intitulé")
    description = models.TextField("description", blank=True)
    resultats_attendus = models.JSONField("résultats attendus", default=list, blank=True)

    class Meta:
        verbose_name = "pôle"
        ordering = ["referentiel", "numero"]
        constraints = [models.UniqueConstraint(fields=["referentiel", "numero"], name="pole_unique")]

    def __str__(self):
        return f"Pôle {self.numero} - {self.intitule}"


class Activite(models.Model):
    pole = models.ForeignKey(Pole, on_delete=models.CASCADE, related_name="activites")
    code = models.CharField("code", max_length=5)  # « 1.1 » … « 3.3 »
    intitule = models.TextField("intitulé")
    conditions_exercice = models.TextField("conditions d'exercice", blank=True)
    resultats_attendus = models.JSONField("résultats attendus", default=list, blank=True)
    bloc = models.ForeignKey("Bloc", on_delete=models.PROTECT, related_name="activites", null=True)

    class Meta:
        verbose_name = "activité"
        ordering = ["pole__referentiel", "code"]
        constraints = [models.UniqueConstraint(fields=["pole", "code"], name="activite_unique")]

    def __str__(self):
        return f"{self.code} {self.intitule}"


class Tache(models.Model):
    activite = models.ForeignKey(Activite, on_delete=models.CASCADE, related_name="taches")
    ordre = models.PositiveSmallIntegerField()
    intitule = models.TextField("intitulé")

    class Meta:
        verbose_name = "tâche"
        ordering = ["activite", "ordre"]
        constraints = [models.UniqueConstraint(fields=["activite", "ordre"], name="tache_unique")]

    def __str__(self):
        return self.intitule


class Bloc(models.Model):
    class Type(models.TextChoices):
        PROFESSIONNEL = "professionnel", "professionnel"
        GENERAL = "general", "général"
        FACULTATIF = "facultatif", "facultatif"

    referentiel = models.ForeignKey(Referentiel, on_delete=models.CASCADE, related_name="blocs")
    code = models.CharField("code", max_length=20)
    ordre = models.PositiveSmallIntegerField()
    intitule = models.TextField("intitulé")
    type = models.CharField("type", max_length=15, choices=Type.choices)
    niveau = models.TextField("niveau", blank=True)
    conditions_exercice = models.TextField("conditions d'exercice et de mobilisation des compétences", blank=True)

    class Meta:
        verbose_name = "bloc de compétences"
        verbose_name_plural = "blocs de compétences"
        ordering = ["referentiel", "ordre"]
        constraints = [models.UniqueConstraint(fields=["referentiel", "code"], name="bloc_unique")]

    def __str__(self):
        return self.intitule


class Competence(models.Model):
    bloc = models.ForeignKey(Bloc, on_delete=models.CASCADE, related_name="competences")
    activite = models.ForeignKey(Activite, on_delete=models.CASCADE, related_name="competences", null=True)
    ordre = models.PositiveSmallIntegerField()
    intitule = models.TextField("intitulé")

    class Meta:
        verbose_name = "compétence"
        ordering = ["bloc", "ordre"]
        constraints = [models.UniqueConstraint(fields=["bloc", "ordre"], name="competence_unique")]
        indexes = [GinIndex(SearchVector("intitule", config="agora_fr"), name="competence_recherche")]

    def __str__(self):
        return self.intitule


class Indicateur(models.Model):
    activite = models.ForeignKey(Activite, on_delete=models.CASCADE, related_name="indicateurs")
    ordre = models.PositiveSmallIntegerField()
    intitule = models.TextField("intitulé")

    class Meta:
        verbose_name = "indicateur d'évaluation"
        verbose_name_plural = "indicateurs d'évaluation"
        ordering = ["activite", "ordre"]
        constraints = [models.UniqueConstraint(fields=["activite", "ordre"], name="indicateur_unique")]
        indexes = [GinIndex(SearchVector("intitule", config="agora_fr"), name="indicateur_recherche")]

    def __str__(self):
        return self.intitule


class Savoir(models.Model):
    bloc = models.ForeignKey(Bloc, on_delete=models.CASCADE, related_name="savoirs")
    ordre = models.PositiveSmallIntegerField()
    famille = models.TextField("famille")
    intitule = models.TextField("intitulé")
    indications = models.TextField("indications complémentaires", blank=True)

    class Meta:
        verbose_name = "savoir associé"
        verbose_name_plural = "savoirs associés"
        ordering = ["bloc", "ordre"]
        constraints = [models.UniqueConstraint(fields=["bloc", "ordre"], name="savoir_unique")]
        indexes = [GinIndex(SearchVector("intitule", "indications", config="agora_fr"), name="savoir_recherche")]

    def __str__(self):
        return self.intitule


class Unite(models.Model):
    referentiel = models.ForeignKey(Referentiel, on_delete=models.CASCADE, related_name="unites")
    code = models.CharField("code", max_length=5)  # « U11 » … « UF2 »
    ordre = models.PositiveSmallIntegerField()
    intitule = models.TextField("intitulé")
    epreuve = models.CharField("épreuve", max_length=5)
    blocs = models.ManyToManyField(Bloc, related_name="unites", blank=True)

    class Meta:
        verbose_name = "unité"
        ordering = ["referentiel", "ordre"]
        constraints = [models.UniqueConstraint(fields=["referentiel", "code"], name="unite_unique")]

    def __str__(self):
        return f"{self.code} {self.intitule}"
