from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from participation.accounts.models import DISPLAY_NAME_MAX, EMAIL_MAX, PASSWORD_MAX
from participation.core import forms as core_forms


def district_choices():
    return core_forms.district_choices(_l("자치구를 고르세요"))


class ProfileFields:
    display_name = StringField(_l("이름(별명)"), validators=[InputRequired(), Length(max=DISPLAY_NAME_MAX)])
    # The service checks the district, with the message citizens should read.
    district = SelectField(_l("사는 자치구"), choices=district_choices, validate_choice=False,
                           validators=[InputRequired()])
    birth_year = IntegerField(_l("태어난 해"), validators=[InputRequired()])


class RegisterForm(FlaskForm, ProfileFields):
    email = EmailField(_l("이메일"), validators=[InputRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField(_l("비밀번호 (10자 이상)"), validators=[InputRequired(), Length(max=PASSWORD_MAX)])
    # The service refuses a sign-up without it, with the message citizens should read.
    privacy_consent = BooleanField(_l("위와 같이 개인정보를 수집·이용하는 데 동의합니다. (필수)"))


class ProfileForm(FlaskForm, ProfileFields):
    pass


class LoginForm(FlaskForm):
    email = EmailField(_l("이메일"), validators=[InputRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField(_l("비밀번호"), validators=[InputRequired(), Length(max=PASSWORD_MAX)])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("이메일"), validators=[InputRequired(), Length(max=EMAIL_MAX)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("새 비밀번호 (10자 이상)"), validators=[InputRequired(), Length(max=PASSWORD_MAX)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("현재 비밀번호"), validators=[InputRequired()])
    password = PasswordField(_l("새 비밀번호 (10자 이상)"), validators=[InputRequired(), Length(max=PASSWORD_MAX)])


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("비밀번호 확인"), validators=[InputRequired()])
