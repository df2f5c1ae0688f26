"""The customers & orders API v1.0 wire format (seeds/002): its field names and types, nothing more.

Types are the document's own (strings, integers, booleans); the native rules (email syntax,
lengths, phone characters) apply when mapping.py builds the core schema from these.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, model_validator

from rolodex.core.schemas import InputModel

# The document's examples, as it prints them (the stray space in " customerName" included).
EXAMPLE_CREATE: dict[str, Any] = {
    " customerName": "My first name",
    "customerLastName": "My last name",
    "customerEmail": "postman@gmail.com",
    "customerCompanyName": "Google",
    "customerPhone": "123-11-11",
    "customerDescription": "Created by postman",
    "customerStatus": 0,
    "archived": False,
    "crmId": "",
    "refId": "",
}
EXAMPLE_UPDATE: dict[str, Any] = {
    "customerName": "PostManPut",
    "customerLastName": "My last name",
    "customerEmail": "postman@gmail.com",
    "customerCompanyName": "Google",
    "customerPhone": "111-11-11",
    "customerDescription": "Created by postman By",
    "customerStatus": 1,
    "archived": False,
    "crmId": "",
    "refId": "",
}
EXAMPLE_CUSTOMER: dict[str, Any] = {
    "_id": 8,
    "description": "test",
    "email": "cust@gmail.com",
    "name": "My first name",
    "lastname": "My last name",
    "companyname": "Google",
    "phone": "123-12-12",
    "status": 0,
    "archived": False,
    "archivationdate": 0,
    "crmid": "",
    "refid": "",
}
EXAMPLE_ORDER: dict[str, Any] = {
    "_id": 10096,
    "activationbirthdate": 1538463338,
    "activationdeathdate": 0,
    "activationlimit": 1,
    "archivationdate": 0,
    "archived": False,
    "canoverwritecontainer": False,
    "customerrequired": True,
    "date": 1538463338,
    "description": "test bugs in sn activation number",
    "isdemo": False,
    "number": 10096,
    "quantity": 10,
    "status": 1,
    "submitdate": 1538463338,
    "type": 0,
    "crmid": "",
    "refid": "",
}

StrictInt = Annotated[int, Strict()]
_TEXT = "empty or null: none"


class CustomerV1In(InputModel):
    """A customer as create (`POST`) and change (`PUT`) take it: any subset of the fields (on
    create one of customerName, customerLastName and customerCompanyName is needed)."""

    # The schema's own example without the stray space, which the schema itself does not allow
    # (the route's request example keeps it, as the document prints it).
    model_config = ConfigDict(
        json_schema_extra={"examples": [{k.strip(): v for k, v in EXAMPLE_CREATE.items()}]}
    )

    customer_name: str | None = Field(
        default=None, description=f"First name (1..255); {_TEXT}", examples=["Peter"]
    )
    customer_last_name: str | None = Field(
        default=None, description=f"Last name (1..255); {_TEXT}", examples=["My last name"]
    )
    customer_email: str | None = Field(
        default=None,
        description=f"Email address, unique among the customers (409 otherwise); {_TEXT}",
        examples=["postman@gmail.com"],
    )
    customer_company_name: str | None = Field(
        default=None,
        description=f"Company name: a customer with one is a company (legal entity); {_TEXT}",
        examples=["Google"],
    )
    customer_phone: str | None = Field(
        default=None,
        description=f"Phone number, kept as given (digits, spaces, + - ( ) / .); {_TEXT}",
        examples=["123-11-11"],
    )
    customer_description: str | None = Field(
        default=None, description=f"Free text (up to 10000 characters); {_TEXT}"
    )
    customer_status: StrictInt | None = Field(
        default=None, description="1 active (the default on create), 0 inactive", examples=[1]
    )
    archived: StrictBool | None = Field(
        default=None, description="archivationdate is set when it becomes true", examples=[False]
    )
    crm_id: str | None = Field(
        default=None,
        description=f"The customer's id in a CRM, unique among the customers (409); {_TEXT}",
        examples=[""],
    )
    ref_id: str | None = Field(
        default=None, description=f"A reference of your own (up to 500); {_TEXT}", examples=[""]
    )

    @model_validator(mode="before")
    @classmethod
    def _trim_keys(cls, data: Any) -> Any:
        """`" customerName"` is read as `customerName` (the document's own example has it)."""
        if not isinstance(data, dict):
            return data
        trimmed: dict[Any, Any] = {}
        for key, value in data.items():
            name = key.strip() if isinstance(key, str) else key
            if name in trimmed:
                raise ValueError(f"{name!r} is given twice")
            trimmed[name] = value
        return trimmed


class CustomerV1(BaseModel):
    """A customer as the document shows it."""

    model_config = ConfigDict(
        populate_by_name=True, json_schema_extra={"examples": [EXAMPLE_CUSTOMER]}
    )

    id: int = Field(alias="_id", description="The customer's id (its number)", examples=[8])
    description: str = Field(examples=["test"])
    email: str = Field(description='"" when none', examples=["cust@gmail.com"])
    name: str = Field(description='First name ("" when none)', examples=["My first name"])
    lastname: str = Field(examples=["My last name"])
    companyname: str = Field(description='"" for an individual', examples=["Google"])
    phone: str = Field(examples=["123-12-12"])
    status: int = Field(description="1 active, 0 inactive (or prospect, or closed)", examples=[0])
    archived: bool = Field(examples=[False])
    archivationdate: int = Field(description="Unix seconds; 0 when not archived", examples=[0])
    crmid: str = Field(description='"" when none', examples=[""])
    refid: str = Field(description='"" when none', examples=[""])


class CustomerV1One(BaseModel):
    """One customer."""

    customer: CustomerV1


class CustomerV1List(BaseModel):
    """Customers, one page of them."""

    customers: list[CustomerV1]


class CustomerV1Order(BaseModel):
    """An order of a customer as the document shows it."""

    model_config = ConfigDict(
        populate_by_name=True, json_schema_extra={"examples": [EXAMPLE_ORDER]}
    )

    id: int = Field(alias="_id", description="The order's number", examples=[10096])
    activationbirthdate: int = Field(description="Unix seconds; 0 when none")
    activationdeathdate: int = Field(description="Unix seconds; 0 when none")
    activationlimit: int = Field(description="0 when none", examples=[1])
    archivationdate: int = Field(description="Unix seconds; 0 when not archived")
    archived: bool
    canoverwritecontainer: bool = Field(description="false when not set")
    customerrequired: bool = Field(description="true when not set")
    date: int = Field(description="Unix seconds", examples=[1538463338])
    description: str
    isdemo: bool = Field(description="false when not set")
    number: int = Field(description="The order's number (the same as _id)", examples=[10096])
    quantity: int = Field(examples=[10])
    status: int = Field(description="0 Draft, 1 Submit, 2 Revoked", examples=[1])
    submitdate: int = Field(description="Unix seconds; 0 when never submitted")
    type: int = Field(examples=[0])
    crmid: str = Field(description='"" when none')
    refid: str = Field(description='"" when none')


class CustomerV1OrderList(BaseModel):
    """A customer's orders, one page of them."""

    orders: list[CustomerV1Order]


def _offset() -> Any:
    return Field(default=None, description="Rows to skip, from 0 (default 0)", examples=[0])


def _limit() -> Any:
    return Field(default=None, description="Rows to answer, 1..200 (default 100)", examples=[100])


class CustomersV1ListParams(BaseModel):
    """The list parameters the document names; any other query parameter is ignored."""

    model_config = ConfigDict(extra="ignore")

    sortby: str | None = Field(
        default=None,
        description="default (company name, last name, first name), name (last name, first "
        "name) or company (company name)",
        examples=["default"],
    )
    direction: str | None = Field(default=None, description="asc (default) or desc")
    offset: int | None = _offset()
    limit: int | None = _limit()
    type: str | None = Field(
        default=None,
        description="company (legal entities) or person (individuals); anything else: all",
        examples=["company"],
    )
    archived: str | None = Field(
        default=None, description="true or false; absent: both", examples=["false"]
    )


class CustomerV1OrdersParams(BaseModel):
    """The order list parameters the document names; any other query parameter is ignored."""

    model_config = ConfigDict(extra="ignore")

    sortby: str | None = Field(
        default=None, description="number (default) or submitdate", examples=["number"]
    )
    direction: str | None = Field(default=None, description="asc (default) or desc")
    offset: int | None = _offset()
    limit: int | None = _limit()
    status: str | None = Field(
        default=None,
        description="Comma-separated statuses: 0 Draft, 1 Submit, 2 Revoked; absent: any",
        examples=["0,1"],
    )
