"""Flask-WTF forms (each carries a CSRF token): those shared by the blueprints, the forms of
the blueprints that are one module (sign-in, profile, admin, the library), the fields
that read numbers, dates and times as people type them (`gvo.core.numbers`) and one-line
text (`LineField`: every title, name and place in every form).

A blueprint that is a package keeps its own forms beside it (gvo/blueprints/meetings/forms.py)."""

import threading
from collections import OrderedDict

from flask import g, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.utils import unset_value
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.widgets import core as wtforms_widgets

from gvo.core import clock, dates, identity, numbers, text
from gvo.core.errors import InvalidInput
from gvo.discussion import approvals, comments
from gvo.library import pages
from gvo.mail import volume
from gvo.newsletter import letters as newsletter_letters
from gvo.security import passwords

csrf = CSRFProtect()  # every POST form carries its token (streamed uploads: gvo.web.uploads)
CSRF_FIELD = "csrf_token"  # Flask-WTF's default: the session key and the request's g attribute
SIGNED_TOKENS_KEPT = 4096


WTFORMS_HTML_PARAMS = wtforms_widgets.html_params  # WTForms' own (the tests compare)


def html_params(**kwargs) -> Markup:
    """A field's HTML attributes, exactly as WTForms' `html_params` writes them, about ten
    times faster.

    WTForms builds each attribute with `Markup.format` (Python's string.Formatter, an
    escape per part): about 20 µs an attribute, so the fields of a form cost more than
    the rest of its page. Here each key and value is escaped once (MarkupSafe's C
    escape) and joined: keys sorted, `_` suffixes and `data_`/`aria_` keys as WTForms
    cleans them, True as a bare attribute, False left out, `"` in Markup values as
    `&quot;`. Installed for every WTForms widget by `install_html_params` (at import);
    tests/test_page_work.py checks the output is WTForms' byte for byte.
    """
    params = []
    for key, value in sorted(kwargs.items()):
        key = wtforms_widgets.clean_key(key)
        if value is True:
            params.append(str(escape(key)))
        elif value is not False:
            params.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))  # noqa: S704 - every key and value escaped above


def install_html_params() -> None:
    """Have WTForms' widgets write attributes with `html_params`: the widgets that call
    the module's function (Select, TextArea, the list widgets) and those that call their
    own `html_params` attribute (Input and its kinds, Button), which WTForms exposes to
    be replaced."""
    wtforms_widgets.html_params = html_params
    for widget in (wtforms_widgets.Input, wtforms_widgets.Button):
        widget.html_params = staticmethod(html_params)


install_html_params()


class SignedTokens:
    """Each session's signed CSRF token, signed once and kept, not once per page.

    Flask-WTF signs the session's random CSRF value for every request that shows a form
    (itsdangerous: JSON, HMAC, base64), a fixed cost on every signed-in page (the page
    header holds the token for htmx and the sign-out form). The signed token of a value
    does not change while the app's secret stays (`WTF_CSRF_TIME_LIMIT` is None: the
    token lives as long as the session), so the one signed first is kept (in memory, by
    the session's value; the least recently used of more than SIGNED_TOKENS_KEPT
    dropped) and handed to Flask-WTF before the request (it uses `g.csrf_token` when it
    is there). Validation is Flask-WTF's, unchanged.
    docs/decisions/0008-fast-pages.md has the measurements.
    """

    def __init__(self, size: int = SIGNED_TOKENS_KEPT):
        self.size = size
        self._tokens: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def init_app(self, app) -> None:
        """Hand the kept token over before each request; keep a newly signed one after."""
        app.before_request(self.before_request)
        app.after_request(self.after_request)

    def before_request(self) -> None:
        """before_request: the session's kept signed token as Flask-WTF's for this request."""
        raw = session.get(CSRF_FIELD)
        if isinstance(raw, str):
            with self._lock:
                token = self._tokens.get(raw)
                if token is not None:
                    self._tokens.move_to_end(raw)
            if token is not None:
                setattr(g, CSRF_FIELD, token)

    def after_request(self, response):
        """after_request: keep the token Flask-WTF signed in this request, if it did."""
        raw, token = session.get(CSRF_FIELD), g.get(CSRF_FIELD)
        if isinstance(raw, str) and token is not None:
            with self._lock:
                self._tokens[raw] = token
                self._tokens.move_to_end(raw)
                while len(self._tokens) > self.size:
                    self._tokens.popitem(last=False)
        return response



def error_beside(form, exc: InvalidInput, default: str) -> None:
    """Show a service's refusal beside the field it names (`InvalidInput.field`, when the
    form has that field), else beside the field `default` (a rule about the whole form)."""
    named = form._fields.get(exc.field) if exc.field else None
    field = named if named is not None else form[default]
    field.errors = [*field.errors, str(exc)]


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class _Numerals:
    """A field mixin: what was sent is read with `numbers.ascii_digits` (NFKC, digits of any
    script as ASCII digits, no spaces) before the field parses it."""

    def process_formdata(self, valuelist):
        """Parse the ASCII-digit form of what was sent."""
        super().process_formdata([numbers.ascii_digits(v) if isinstance(v, str) else v
                                  for v in valuelist])

    def pre_validate(self, form):
        """One message per field: what cannot be read ("abc") is said once, by the field
        ("Write a whole number in digits."), and the validators (a range, DataRequired) do
        not add theirs about the missing value; left blank, the field says nothing and the
        validators speak (Optional: fine; DataRequired: its message; a range: its)."""
        super().pre_validate(form)
        if self.process_errors:
            if any(str(v).strip() for v in self.raw_data or ()):
                raise StopValidation()  # the field's own message stands alone
            self.errors = [e for e in self.errors if e not in self.process_errors]


MAX_WHOLE_DIGITS = 9  # the largest whole number a form takes has 9 digits


class WholeNumberField(_Numerals, IntegerField):
    """An integer field that reads digits of any script ("１２", "١٢"); anything else is
    "Write a whole number in digits." (not WTForms' "Not a valid integer value.")."""

    def process_formdata(self, valuelist):
        """Parse what was sent, or say what is expected. A number of more than
        MAX_WHOLE_DIGITS digits is refused here ("That number is too large."), before any
        range check or service sees it (Python's int has no limit; SQLite's and the
        datetime module's do, and would fail with OverflowError)."""
        self.too_large = False
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Write a whole number in digits.") from None
        if self.data is not None and abs(self.data) >= 10 ** MAX_WHOLE_DIGITS:
            self.data, self.too_large = None, True

    def pre_validate(self, form):
        """Refuse a number too large, with that message alone (a DataRequired validator
        would otherwise replace it with its own)."""
        super().pre_validate(form)
        if getattr(self, "too_large", False):
            raise StopValidation("That number is too large.")


class _Years:
    """A date field mixin: a date whose year is outside clock.FIRST_YEAR..LAST_YEAR (a year
    typed 0226 or 9999) is the field's error, never stored."""

    def pre_validate(self, form):
        """Refuse a year out of range (before the other validators, which it stops)."""
        super().pre_validate(form)
        if self.data is not None and not clock.FIRST_YEAR <= self.data.year <= clock.LAST_YEAR:
            raise StopValidation(clock.YEAR_RANGE)


class _Dates:
    """A date field mixin: a date that does not exist is refused in words
    (`dates.not_a_day`: "29 February 2027 is not a date: 2027 is not a leap year."), not
    WTForms' "Not a valid date value."."""

    def process_formdata(self, valuelist):
        """Parse what was sent, or say why it is not a date."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            if isinstance(self, DateTimeLocalField):
                raise ValueError(dates.not_a_day(" ".join(valuelist), "Give a date and time "
                                                 "as YYYY-MM-DD HH:MM.")) from None
            raise ValueError(dates.not_a_day(" ".join(valuelist))) from None


class DayField(_Dates, _Years, _Numerals, DateField):
    """A date field (YYYY-MM-DD) that reads digits of any script; years 1900-2199."""


class LocalTimeField(_Dates, _Years, _Numerals, DateTimeLocalField):
    """A local date and time field (YYYY-MM-DDTHH:MM, the school's time zone) that reads
    digits of any script; years 1900-2199.

    A time that does not exist in the school's zone (the hour skipped when the clocks go
    forward in March) is the field's error. A time that happens twice (the hour repeated when
    they go back in October) is the field's error until the person chooses which: the field
    then shows, beside its input, a choice of the two readings ("BST" or "GMT"), sent as
    `<name>-zone`. `fold` is the reading chosen (0 the first, 1 the second; 0 for any other
    time), for the service (gvo.core.dates.resolve is the rule). Every form that takes a
    local date and time uses this field, so every one keeps the rule.
    """

    zone = ""
    fold = 0

    def process(self, formdata, data=unset_value, extra_filters=None):
        """Read the input, and the reading chosen for a time in the repeated hour."""
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.zone = formdata.get(f"{self.name}-zone", "")[:8]

    def pre_validate(self, form):
        """Refuse a year out of range, a time that does not exist, and a time that happens
        twice with no reading chosen."""
        super().pre_validate(form)
        if self.data is not None:
            try:
                self.fold = dates.resolve(self.data, self.zone, str(self.label.text))
            except InvalidInput as exc:
                raise StopValidation(str(exc)) from None

    def __call__(self, **kwargs):
        """The input; for a time in the repeated hour, the choice of its two readings."""
        html = super().__call__(**kwargs)
        if self.data is None or not dates.is_ambiguous(self.data):
            return html
        names, at = dates.zones(self.data), dates.clock_time(self.data)
        radio = Markup('<label class="choice"><input type="radio" name="{}-zone" id="{}-zone-{}"'
                       ' value="{}"{}> {} ({} {})</label>')
        radios = Markup("").join(
            radio.format(self.name, self.id, fold, name,
                         Markup(" checked") if name == self.zone else "", name,
                         "the first" if fold == 0 else "the second", at)
            for fold, name in enumerate(names))
        return html + Markup('<fieldset class="zone-choice" id="{}-zone"><legend>Which {}? The'
                             ' clocks go back that night.</legend>{}</fieldset>').format(
                                 self.id, at, radios)


class LineField(StringField):
    """A one-line text field (a title, a name, a place): what is sent is read through
    `text.one_line`, so line and paragraph separators (U+2028, U+2029), tabs and control
    characters never reach a page, a PDF or a calendar as they were typed."""

    def process_formdata(self, valuelist):
        """Keep the one-line form of what was sent."""
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = text.one_line(self.data)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (capabilities, members)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    """E-mail and password: the first step of sign-in."""

    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


class CodeForm(FlaskForm):
    """A 6-digit code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired(), Length(max=40)])


class VerifyForm(CodeForm):
    """The code step of sign-in: a code, and whether to trust this browser (shown only
    where the school allows it: gvo.security.devices)."""

    trust = BooleanField("Trust this device")


class TrustDaysForm(FlaskForm):
    """For how many days a browser may be trusted after two-step sign-in (Managers). The
    field is `trust_days`: the settings page holds other forms with a `days` field, and ids
    are unique on a page."""

    trust_days = WholeNumberField(
        "Trust a device for this many days after two-step sign-in",
        validators=[NumberRange(min=0, max=90, message="Give a number of days from 0 to 90.")],
        description="0: never (a code is asked at every sign-in). At most 90. The password "
                    "is always asked.")


def _your_password() -> PasswordField:
    return PasswordField("Your password", validators=[DataRequired(), Length(max=1024)],
                         description="Asked again to make sure it is you.")


class ConfirmPasswordForm(FlaskForm):
    """A change to how a person signs in (new recovery codes): their password again."""

    password = _your_password()


class ChangeAuthenticatorForm(CodeForm):
    """A signed-in person setting up an authenticator: their password, then a first code."""

    password = _your_password()


class SetPasswordForm(FlaskForm):
    """Choosing a password (set-up link)."""

    # Its own id: the profile page also asks for the current password to make new codes.
    password = PasswordField(
        "New password", id="new-password",
        validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)],
        description=f"At least {passwords.MIN_LENGTH} characters. A few unrelated words work well.",
    )
    confirm = PasswordField(
        "Type it again",
        validators=[DataRequired(), EqualTo("password", "The two passwords differ.")],
    )


class ChangePasswordForm(SetPasswordForm):
    """Changing a password: asks for the current one first."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])


class ProfileForm(FlaskForm):
    """A person's own details."""

    name = LineField("Name", validators=[DataRequired(), Length(max=120)])
    phone = LineField("Phone", validators=[Optional(), Length(max=40)])


class ForgotPasswordForm(FlaskForm):
    """"Forgotten password": the address to send a link to."""

    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)],
                       description="The address you sign in with.")


class ReplyToForm(FlaskForm):
    """Where replies to the school's e-mail go (the clerk's address)."""

    reply_to = EmailField("Replies go to", validators=[Optional(), Length(max=254)],
                          description="Your clerk's address. Leave empty for none.")


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class MailVolumeForm(FlaskForm):
    """How much e-mail a person gets (gvo.mail.volume)."""

    volume = SelectField("E-mails about the school's business",
                         choices=choices(volume.VOLUMES.items()),
                         description="Mail about your account (invitations, passwords, "
                         "security) always comes.")


class NewsletterScheduleForm(FlaskForm):
    """When the school's weekly newsletter goes out (and, at that hour, the daily digest)."""

    day = SelectField("Day", coerce=int,
                      choices=choices(enumerate(newsletter_letters.DAYS)))
    hour = SelectField("Hour (UK time)", coerce=int,
                       choices=choices((h, f"{h:02d}:00") for h in range(24)),
                       description="People who chose one e-mail a day get it at this hour "
                       "every day.")


ROLE_CHOICES = choices(
    (r, f"{identity.ROLE_LABELS[r]}: {identity.ROLE_HELP[r]}") for r in identity.ROLES
)


class InviteForm(FlaskForm):
    """A Manager invites a person; they get a set-up link."""

    name = LineField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="author")


class RoleForm(FlaskForm):
    """A Manager changes a person's role and capabilities."""

    role = SelectField("Role", choices=ROLE_CHOICES)
    capabilities = MultiCheckboxField(
        "Extra permissions", choices=choices(identity.CAPABILITIES.items())
    )


class GroupForm(FlaskForm):
    """A group: a name and its members."""

    name = LineField("Name", validators=[DataRequired(), Length(max=80)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=500)])
    members = MultiCheckboxField("Members", coerce=int, choices=[])


class BodyForm(FlaskForm):
    """The board or a committee."""

    name = LineField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Purpose", validators=[Optional(), Length(max=1000)])
    quorum = LineField(
        "Quorum",
        validators=[Optional(), Length(max=20)],
        description="Governors on the committee needed for a quorate meeting: at least 3. "
        "Leave empty for 3.",
    )


class BodyMemberForm(FlaskForm):
    """Adding a member to the board or a committee."""

    user_id = SelectField("Person", coerce=int, choices=[])
    position = SelectField(
        "Position",
        choices=choices([("member", "Member"), ("chair", "Chair"), ("vice-chair", "Vice-chair")]),
    )
    # The school's categories (gvo.governance.categories), set by the view.
    category = SelectField("Category", choices=[], default="")


class MfaPolicyForm(FlaskForm):
    """Who must use two-step sign-in."""

    policy = SelectField("Two-step sign-in", choices=[])


# -- the library's pages -------------------------------------------------------------


class FolderForm(FlaskForm):
    """A folder's details and who it is open to."""

    title = LineField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    sort_order = WholeNumberField("Sort order", default=0,
                              validators=[Optional(), NumberRange(-9999, 9999)],
                              description="Lower numbers come first; equal ones by title.")
    restricted = BooleanField("Restrict this folder to the people and groups ticked below",
                              description="Everything inside it is restricted too. Leave "
                                          "the Manager out to make a private room.")
    users = MultiCheckboxField("People", coerce=int, choices=[])
    groups = MultiCheckboxField("Groups", coerce=int, choices=[])


class DocumentForm(FlaskForm):
    """A document's title and description."""

    title = LineField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])


class PageForm(FlaskForm):
    """A page: a title and a short note in Markdown."""

    title = LineField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Text", validators=[Optional(), Length(max=pages.MAX_BODY)],
                         description="Markdown: *italic*, **bold**, lists with -, links "
                                     "[text](https://...).")


class CommentForm(FlaskForm):
    """A comment, or a reply when parent_id is set."""

    body = TextAreaField("Comment", validators=[DataRequired(), Length(max=comments.MAX_BODY)])
    parent_id = HiddenField()


class ApprovalForm(FlaskForm):
    """Asking for approval."""

    mode = SelectField("Kind of approval", choices=choices(approvals.MODES.items()))


class ShareForm(FlaskForm):
    """Share an item: people, groups, boards and committees (checkboxes; choices set per
    school by the view), and a short message."""

    people = MultiCheckboxField("People", coerce=int)
    groups = MultiCheckboxField("Groups", coerce=int)
    bodies = MultiCheckboxField("Boards and committees", coerce=int)
    message = TextAreaField(
        "Message (optional)",
        validators=[Optional(), Length(max=1000, message="A message of at most 1,000 "
                                                         "characters.")],
        description="A few words to go with the link. The e-mail holds the item's title and "
                    "a link, never the item itself.")


class FollowForm(FlaskForm):
    """Follow or stop following an item (for oneself, or, by a Manager, for someone else)."""

    following = HiddenField()
    user_id = SelectField("Person", coerce=int, validate_choice=False, default=0)


class ReminderForm(FlaskForm):
    """How many days before a meeting members who have not replied are reminded."""

    days = WholeNumberField(
        "Remind members who have not replied, days before a meeting",
        validators=[NumberRange(min=0, max=60, message="Give a number of days from 0 to 60.")],
        description="0 for no reminder. Each member is reminded once per meeting.")
