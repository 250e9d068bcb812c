"""The address book: a customer's contacts, their groups and the names of their custom fields.

Per customer, usable by each of their services. A contact's number is stored as
``messaging.numbers`` normalises a recipient (``48XXXXXXXXX``), so a contact is a number
the platform can send to, and the same number is one contact however it was typed.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer

# The custom fields a contact carries (field1..field5), named per customer in ContactFields.
CUSTOM_FIELDS = ("field1", "field2", "field3", "field4", "field5")


class ContactGroup(models.Model):
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="contact_groups",
        verbose_name=_("customer"),
    )
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("contact group")
        verbose_name_plural = _("contact groups")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="contactgroup_unique_name")
        ]

    def __str__(self):
        return self.name


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    number = models.CharField(_("number"), max_length=16)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    field1 = models.CharField(_("field 1"), max_length=200, blank=True)
    field2 = models.CharField(_("field 2"), max_length=200, blank=True)
    field3 = models.CharField(_("field 3"), max_length=200, blank=True)
    field4 = models.CharField(_("field 4"), max_length=200, blank=True)
    field5 = models.CharField(_("field 5"), max_length=200, blank=True)
    groups = models.ManyToManyField(
        ContactGroup, blank=True, related_name="contacts", verbose_name=_("groups")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name", "number"]
        constraints = [
            # Also the index a search by number (or its leading digits) within a customer uses,
            # and the conflict target of the import's upsert (contacts.importer).
            models.UniqueConstraint(fields=["customer", "number"], name="contact_unique_number")
        ]
        indexes = [
            # The list's order and a search by name within a customer.
            models.Index(
                fields=["customer", "last_name", "first_name"], name="contact_customer_name"
            ),
        ]

    def __str__(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} ({self.number})" if name else self.number


class ContactFields(models.Model):
    """What a customer calls their contacts' custom fields; a blank name is a field unused."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        related_name="contact_fields",
        verbose_name=_("customer"),
    )
    name1 = models.CharField(_("field 1 name"), max_length=50, blank=True)
    name2 = models.CharField(_("field 2 name"), max_length=50, blank=True)
    name3 = models.CharField(_("field 3 name"), max_length=50, blank=True)
    name4 = models.CharField(_("field 4 name"), max_length=50, blank=True)
    name5 = models.CharField(_("field 5 name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("contact field names")
        verbose_name_plural = _("contact field names")

    def __str__(self):
        return str(self.customer)

    def names(self) -> dict[str, str]:
        """``{"field1": "Miasto", …}`` for the fields the customer named."""
        return {
            field: getattr(self, f"name{i}")
            for i, field in enumerate(CUSTOM_FIELDS, 1)
            if getattr(self, f"name{i}")
        }
