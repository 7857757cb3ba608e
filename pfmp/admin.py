"""Administration PFMP.

Les organisations d'accueil et leurs tuteurs (un annuaire) se corrigent ici. Tout ce qui change la conformité
d'un candidat (périodes, conventions, attestations, certificats, voie et positionnement) s'écrit par les pages de
l'application, qui recalculent le blocage de la délibération et tiennent le journal : ici, consultation seule.
"""

from django.contrib import admin

from pfmp.models import (
    AppreciationCompetence,
    Attestation,
    CertificatTravail,
    Convention,
    DossierPfmp,
    Evaluation,
    Organisation,
    Periode,
    Tuteur,
)


class LectureSeule:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TuteurLignes(admin.TabularInline):
    model = Tuteur
    extra = 0
    fields = ["nom", "prenom", "fonction", "email", "telephone"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["nom", "siret", "ville", "pays", "secteur"]
    list_filter = ["secteur", "pays"]
    search_fields = ["nom", "siret", "ville"]
    inlines = [TuteurLignes]

    def has_delete_permission(self, request, obj=None):
        return False  # une organisation qui a accueilli un élève est protégée par ses conventions


class PeriodeLignes(LectureSeule, admin.TabularInline):
    model = Periode
    extra = 0
    fields = ["date_debut", "date_fin", "annee_cycle", "semaines", "pays"]


@admin.register(Convention)
class ConventionAdmin(LectureSeule, admin.ModelAdmin):
    list_display = ["candidat", "organisation", "date_debut", "date_fin", "etat"]
    list_filter = ["etat"]
    search_fields = ["candidat__numero", "candidat__nom", "organisation__nom"]
    list_select_related = ["candidat", "organisation"]
    inlines = [PeriodeLignes]


@admin.register(Attestation)
class AttestationAdmin(LectureSeule, admin.ModelAdmin):
    list_display = [
        "__str__",
        "candidat_numero",
        "candidat_nom",
        "organisation_nom",
        "semaines",
        "signee",
        "en_vigueur",
    ]
    list_filter = ["signee", "en_vigueur"]
    search_fields = ["candidat_numero", "candidat_nom", "organisation_nom"]


@admin.register(CertificatTravail)
class CertificatTravailAdmin(LectureSeule, admin.ModelAdmin):
    list_display = ["candidat", "employeur", "emploi", "quotite", "date_debut", "date_fin"]
    search_fields = ["candidat__numero", "employeur"]
    list_select_related = ["candidat"]


@admin.register(DossierPfmp)
class DossierPfmpAdmin(LectureSeule, admin.ModelAdmin):
    list_display = ["candidat", "voie", "date_positionnement"]
    list_select_related = ["candidat"]


class AppreciationLignes(LectureSeule, admin.TabularInline):
    model = AppreciationCompetence
    extra = 0


@admin.register(Evaluation)
class EvaluationAdmin(LectureSeule, admin.ModelAdmin):
    list_display = ["periode", "date_visite", "tuteur", "saisie_par"]
    inlines = [AppreciationLignes]
