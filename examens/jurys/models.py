"""Les jurys d'une session et les académies : qui délibère pour quels établissements.

Un jury (centre de délibération) couvre un ensemble d'établissements d'une session ; il est présidé et a des
membres. Sa délibération, son verrouillage et son procès-verbal ne portent que sur les candidats de ces
établissements : verrouiller un jury n'en bloque aucun autre. Un établissement appartient au plus à un jury
par session (contrainte `jury_etablissement_unique`, la session étant recopiée dans la table de liaison).

Les modèles vivent ici et sont importés en dernière ligne de examens/models.py, comme ceux de l'organisation.
"""

from django.conf import settings
from django.db import models


class Academie(models.Model):
    """Une académie et sa division des examens et concours (ses gestionnaires académiques)."""

    code = models.CharField(max_length=10, unique=True)
    nom = models.CharField(max_length=100)
    gestionnaires = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="academies_gerees")

    class Meta:
        verbose_name = "académie"
        ordering = ["nom"]

    def __str__(self):
        return f"Académie de {self.nom}"


class Jury(models.Model):
    session = models.ForeignKey("examens.Session", on_delete=models.CASCADE, related_name="jurys")
    nom = models.CharField(max_length=100)
    president = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jurys_presides",
        verbose_name="président",
    )
    membres = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="jurys")
    etablissements = models.ManyToManyField(
        "examens.Etablissement", through="EtablissementJury", related_name="jurys", verbose_name="établissements"
    )
    verrouille = models.BooleanField("délibération verrouillée", default=False)
    verrouille_le = models.DateTimeField(null=True, blank=True)
    # La validation du procès-verbal par le président : un acte nommé, daté, journalisé et imprimé sur le PV.
    pv_valide_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pv_valide_le = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "jury"
        ordering = ["session", "nom"]
        constraints = [models.UniqueConstraint(fields=["session", "nom"], name="jury_nom_unique")]

    def __str__(self):
        return f"Jury {self.nom}"


class EtablissementJury(models.Model):
    jury = models.ForeignKey(Jury, on_delete=models.CASCADE)
    etablissement = models.ForeignKey("examens.Etablissement", on_delete=models.CASCADE)
    # Recopiée du jury pour que la base refuse un établissement rattaché à deux jurys de la même session.
    session = models.ForeignKey("examens.Session", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "établissement du jury"
        constraints = [models.UniqueConstraint(fields=["session", "etablissement"], name="jury_etablissement_unique")]

    def __str__(self):
        return f"{self.etablissement} — {self.jury}"

    def save(self, *args, **kwargs):
        self.session_id = self.jury.session_id
        super().save(*args, **kwargs)
