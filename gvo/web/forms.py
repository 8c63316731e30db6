"""Flask-WTF forms (each carries a CSRF token): those shared by the blueprints, the forms of
the blueprints that are one module (sign-in, profile, admin, the library), the fields
that read numbers, dates and times as people type them (`gvo.core.numbers`) and one-line
text (`LineField`: every title, name and place in every form).

A blueprint that is a package keeps its own forms beside it (gvo/blueprints/meetings/forms.py)."""

from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
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
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget

from gvo.board import bodies
from gvo.core import clock, identity, numbers, text
from gvo.discussion import approvals, comments
from gvo.library import pages
from gvo.security import passwords

csrf = CSRFProtect()  # every POST form carries its token (streamed uploads: gvo.web.uploads)

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


class WholeNumberField(_Numerals, IntegerField):
    """An integer field that reads digits of any script ("１２", "١٢")."""


class _Years:
    """A date field mixin: a date whose year is outside clock.FIRST_YEAR..LAST_YEAR (a year
    typed 0226 or 9999) is the field's error, never stored."""

    def pre_validate(self, form):
        """Refuse a year out of range (before the other validators, which it stops)."""
        super().pre_validate(form)
        if self.data is not None and not clock.FIRST_YEAR <= self.data.year <= clock.LAST_YEAR:
            raise StopValidation(clock.YEAR_RANGE)


class DayField(_Years, _Numerals, DateField):
    """A date field (YYYY-MM-DD) that reads digits of any script; years 1900-2199."""


class LocalTimeField(_Years, _Numerals, DateTimeLocalField):
    """A local date and time field (YYYY-MM-DDTHH:MM) that reads digits of any script;
    years 1900-2199."""


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
        description="Members needed for a quorate meeting. Leave empty for half the members, "
        "rounded up.",
    )


class BodyMemberForm(FlaskForm):
    """Adding a member to the board or a committee."""

    user_id = SelectField("Person", coerce=int, choices=[])
    position = SelectField(
        "Position",
        choices=choices([("member", "Member"), ("chair", "Chair"), ("vice-chair", "Vice-chair")]),
    )
    category = SelectField("Category", choices=choices(bodies.CATEGORIES.items()), default="")


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
