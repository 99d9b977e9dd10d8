//! The three upload operations, which send `multipart/form-data` (the
//! generator cannot produce those): a user's profile image, an
//! organization's logo and an OAuth application's logo.
//!
//! They go through the same hooks as every other call: headers, retries
//! (except that an upload is never sent twice: reqwest streams multipart
//! bodies, so there is no copy to send again), tracing and errors.
//!
//! ```no_run
//! use clerk_backend_api::{Clerk, uploads::Upload};
//!
//! # async fn run(clerk: Clerk) -> clerk_backend_api::Result<()> {
//! let image = Upload::from_path("avatar.png").await?;
//! let user = clerk.set_user_profile_image("user_123", image).await?;
//! println!("{:?}", user.image_url);
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "machine-auth")]
use crate::api::types::OAuthApplication;
use crate::api::types::{OrganizationWithLogo, User};
use crate::{Clerk, Error, Result};
use bytes::Bytes;
use futures::{Stream, TryStream};
use reqwest::multipart::{Form, Part};
use serde::de::DeserializeOwned;
use std::path::Path;

/// A file to upload: its content, name and media type.
pub struct Upload {
    content: Content,
    file_name: String,
    content_type: String,
}

enum Content {
    Bytes(Bytes),
    Stream(reqwest::Body, Option<u64>),
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let size = match &self.content {
            Content::Bytes(b) => Some(b.len() as u64),
            Content::Stream(_, len) => *len,
        };
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("size", &size)
            .finish()
    }
}

impl Upload {
    /// An upload from bytes in memory.
    pub fn from_bytes(
        bytes: impl Into<Bytes>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
    ) -> Self {
        Upload {
            content: Content::Bytes(bytes.into()),
            file_name: file_name.into(),
            content_type: content_type.into(),
        }
    }

    /// An upload read from a file; the media type follows the extension
    /// (`png`, `jpg`/`jpeg`, `gif`, `webp`, `svg`, `ico`, `avif`, else
    /// `application/octet-stream`).
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| Error::InvalidRequest(format!("cannot read {}: {e}", path.display())))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload".into());
        let content_type = media_type(path);
        Ok(Upload::from_bytes(bytes, file_name, content_type))
    }

    /// An upload from a stream of chunks, sent as it is read (and therefore
    /// never retried). Give the length when it is known.
    pub fn from_stream<S>(
        stream: S,
        length: Option<u64>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
    ) -> Self
    where
        S: TryStream + Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        Bytes: From<S::Ok>,
        S: Stream<Item = std::result::Result<S::Ok, S::Error>>,
    {
        Upload {
            content: Content::Stream(reqwest::Body::wrap_stream(stream), length),
            file_name: file_name.into(),
            content_type: content_type.into(),
        }
    }

    fn into_part(self) -> Result<Part> {
        let part = match self.content {
            Content::Bytes(bytes) => {
                Part::stream_with_length(reqwest::Body::from(bytes.clone()), bytes.len() as u64)
            }
            Content::Stream(body, Some(len)) => Part::stream_with_length(body, len),
            Content::Stream(body, None) => Part::stream(body),
        };
        part.file_name(self.file_name)
            .mime_str(&self.content_type)
            .map_err(|e| Error::InvalidRequest(format!("invalid content type: {e}")))
    }
}

fn media_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "avif" => "image/avif",
        _ => "application/octet-stream",
    }
}

impl Clerk {
    /// Sets a user's profile image (`POST /users/{user_id}/profile_image`).
    pub async fn set_user_profile_image(&self, user_id: &str, file: Upload) -> Result<User> {
        let form = Form::new().part("file", file.into_part()?);
        let url = format!(
            "{}/users/{}/profile_image",
            self.base_url(),
            encode(user_id)
        );
        self.send_multipart(reqwest::Method::POST, url, form, "set_user_profile_image")
            .await
    }

    /// Sets an organization's logo (`PUT /organizations/{organization_id}/logo`).
    /// `uploader_user_id` names the user who uploads it, when there is one.
    pub async fn upload_organization_logo(
        &self,
        organization_id: &str,
        file: Upload,
        uploader_user_id: Option<&str>,
    ) -> Result<OrganizationWithLogo> {
        let url = format!(
            "{}/organizations/{}/logo",
            self.base_url(),
            encode(organization_id)
        );
        self.put_logo(url, file, uploader_user_id, "upload_organization_logo")
            .await
    }

    /// Sets an OAuth application's logo
    /// (`PUT /oauth_applications/{oauth_application_id}/logo`).
    #[cfg(feature = "machine-auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "machine-auth")))]
    pub async fn upload_oauth_application_logo(
        &self,
        oauth_application_id: &str,
        file: Upload,
        uploader_user_id: Option<&str>,
    ) -> Result<OAuthApplication> {
        let url = format!(
            "{}/oauth_applications/{}/logo",
            self.base_url(),
            encode(oauth_application_id)
        );
        self.put_logo(url, file, uploader_user_id, "upload_oauth_application_logo")
            .await
    }

    /// The two logo uploads share their form: `file`, and `uploader_user_id`
    /// when given.
    async fn put_logo<T: DeserializeOwned>(
        &self,
        url: String,
        file: Upload,
        uploader_user_id: Option<&str>,
        method_name: &'static str,
    ) -> Result<T> {
        let mut form = Form::new().part("file", file.into_part()?);
        if let Some(uploader) = uploader_user_id {
            form = form.text("uploader_user_id", uploader.to_string());
        }
        self.send_multipart(reqwest::Method::PUT, url, form, method_name)
            .await
    }

    async fn send_multipart<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        url: String,
        form: Form,
        method_name: &'static str,
    ) -> Result<T> {
        let request = self
            .http()
            .request(method, url)
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(form)
            .build()?;
        let response = crate::transport::send(self, request, method_name).await?;
        if response.status().is_success() {
            crate::reply::decode(&crate::reply::body(response).await?, method_name)
        } else {
            Err(crate::reply::error(response).await)
        }
    }
}

/// Percent-encodes a path segment.
fn encode(segment: &str) -> String {
    progenitor_client::encode_path(segment)
}
