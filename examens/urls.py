from examens.ccf.urls import urlpatterns as grilles
from examens.documents.urls import urlpatterns as documents
from examens.echeances.urls import urlpatterns as echeances
from examens.jurys.urls import urlpatterns as jurys
from examens.organisation.urls import urlpatterns as organisation
from examens.urls_bureau import urlpatterns as bureau
from examens.urls_jury import urlpatterns as jury

app_name = "examens"
urlpatterns = bureau + jury + grilles + documents + organisation + jurys + echeances
