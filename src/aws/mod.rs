//! AWS's formats and wire calls, exactly as botocore and the SDKs have them: the shared config
//! file (`config`, read with botocore's syntax by `ini`; `config_edit` changes it keeping every
//! other byte), the SSO token cache
//! (`token_cache`), the AWS CLI v2's role-credential cache (`role_cache`) and client
//! registration (`registration`), endpoint resolution (`endpoint`) and the AWS variables it
//! honours (`env`), the HTTP client (`http`), SSO-OIDC (`oidc`) and the SSO portal (`portal`).
//! No decisions: the engine decides what to call and when.

pub mod config;
pub mod config_edit;
pub(crate) mod endpoint;
pub(crate) mod env;
pub(crate) mod http;
pub(crate) mod ini;
pub mod oidc;
pub mod portal;
pub(crate) mod registration;
pub mod role_cache;
pub mod token_cache;
