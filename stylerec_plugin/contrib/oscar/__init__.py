"""StyleRec for django-oscar shops: add ``"stylerec_plugin.contrib.oscar"`` to INSTALLED_APPS.

- :mod:`.apps`       the app, and the STYLEREC defaults it supplies (Oscar's gallery, parents,
                     ``browsable()``, the category tree, guests by cookie)
- :mod:`.adapter`    ``OscarProductAdapter``: titles, prices through the request's strategy,
                     listings without N+1 queries, Oscar's hand-picked ``recommended_products``
- :mod:`.receivers`  guest and customer tracking from Oscar's ``product_viewed``,
                     ``basket_addition`` and ``order_placed`` signals
- :mod:`.checks`     whether Oscar's product partial and gallery show StyleRec photos
- ``templates/``     overrides of Oscar's product partial, gallery and browse page, and the
                     snippets they are made of (``stylerec/oscar/*.html``)

Nothing else in the plugin imports this package (a layering contract).
"""
