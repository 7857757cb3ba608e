"""Administration des grilles CCF, en consultation seulement.

Les gabarits sont des données versionnées (fixtures/grilles) ; commissions et grilles s'écrivent par les
pages de l'application, qui contrôlent la composition, la concurrence et tracent chaque changement.
Une retouche dans l'admin contournerait ces contrôles : ajout, modification et suppression sont neutralisés.
"""

from django.contrib import admin

from examens.models import (
    Commission,
    EvaluationCompetence,
    GabaritGrille,
    Grille,
    HistoriqueGrille,
    LigneGabarit,
    MembreCommission,
    ValidationGrille,
)


class LectureSeule:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class Lignes(LectureSeule, admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields  # dates automatiques comprises : rien n'est un champ de formulaire


class LigneGabaritLignes(Lignes):
    model = LigneGabarit
    fields = ["ordre", "competence"]


@admin.register(GabaritGrille)
class GabaritGrilleAdmin(LectureSeule, admin.ModelAdmin):
    list_display = ["code", "version", "epreuve", "referentiel", "arrondi", "situations", "charge_le"]
    list_filter = ["epreuve", "referentiel"]
    inlines = [LigneGabaritLignes]


class MembreLignes(Lignes):
    model = MembreCommission
    fields = ["utilisateur", "qualite"]


@admin.register(Commission)
class CommissionAdmin(LectureSeule, admin.ModelAdmin):
    list_display = ["__str__", "session", "etablissement", "gabarit"]
    list_filter = ["session", "gabarit__epreuve"]
    list_select_related = ["session", "etablissement", "gabarit"]
    inlines = [MembreLignes]


class EvaluationLignes(Lignes):
    model = EvaluationCompetence
    fields = ["ligne", "niveau", "observation"]


class ValidationLignes(Lignes):
    model = ValidationGrille
    fields = ["membre", "date"]


class HistoriqueLignes(Lignes):
    model = HistoriqueGrille
    fields = ["date", "auteur", "action", "objet", "avant", "apres", "motif"]


@admin.register(Grille)
class GrilleAdmin(LectureSeule, admin.ModelAdmin):
    list_display = [
        "candidat",
        "epreuve",
        "situation",
        "forme",
        "etat",
        "note_suggeree",
        "note_commission",
        "note_jury",
    ]
    list_filter = ["epreuve", "etat", "forme"]
    list_select_related = ["candidat"]
    search_fields = ["candidat__numero", "candidat__nom"]
    inlines = [EvaluationLignes, ValidationLignes, HistoriqueLignes]
