//! Photo bytes: tus upload data on its way in, and finished photos.
//!
//! # Design
//! An unfinished upload is a file `<data-dir>/uploads/<upload id>.part`; its
//! record (see `store::uploads`) holds the offset the server vouches for. Bytes
//! are appended and fsynced before the offset moves, and a file longer than its
//! offset (a crash between the two) is cut back first, so the offset never
//! promises bytes that are not on disk. A PATCH carrying `Upload-Checksum` is
//! all-or-nothing; one without keeps whatever arrived before a cut, so a
//! resumed upload re-sends only what was lost.
//!
//! The common case is a whole photo in one request from offset 0 (a PATCH, or
//! the creation request itself with tus `creation-with-upload`). How it is
//! received depends on the store:
//! - **local store** (the default): the body streams into the part file as it
//!   arrives and is fsynced once, hashed while the disk syncs; a verified photo is then
//!   *renamed* into the store's directory, so its bytes are written once and
//!   the disk works while the network is still delivering;
//! - **remote store** (S3): the body is held in memory (photos up to
//!   [`MEMORY_LIMIT`]) and hashed as it arrives, then put; only if the
//!   connection breaks is what arrived written to the part file for the resume.
//!
//! A finished upload is hashed whole and compared with the SHA-256 the phone
//! recorded at capture, checked to be a rendition as capture makes them (a
//! JPEG whose pixels decode, with no metadata: no EXIF — GPS, camera serial —
//! no XMP, IPTC or comment, nothing after its end; `minqing_capture::
//! check_rendition`), and stored (`object_store`: local files by default,
//! S3-compatible by configuration) as `photos/<photo id>.jpg`. A photo with
//! metadata is refused, not stripped: stripping would change the bytes whose
//! SHA-256 the phone recorded and every device checks when it downloads them.
//!
//! # Expiry and quota
//! An upload counts against its user's quota (`store::uploads::Quota`: how
//! many, how many bytes) until its photo is attached to its ticket. The sweep
//! ([`Uploads::sweep`], every minute) removes unfinished uploads past their
//! expiry, and finished ones nobody attached within `unattached_ttl_ms` —
//! record first, then the photo, so an attach that comes first keeps it.
//! The local store does not fsync by itself, so when its root is known
//! ([`Uploads::durable_local_root`]) the photo and its directory are fsynced
//! before the upload counts as finished.
//!
//! # Several server processes
//! A part file is one process's. So that an upload begun on one server
//! process resumes on another from where it stopped, not from 0, the bytes of
//! a request that did *not* finish the upload are also put in the object store
//! the processes share (an S3 bucket), as a segment
//! `uploads/<upload id>/<from>-<to>`, before the offset that counts them is
//! recorded. A process asked to resume an upload whose bytes it does not hold
//! rebuilds its part file from the contiguous segments ([`Uploads::vouched`]);
//! what no segment covers is asked for again. The common case, a whole photo
//! in one request, writes no segment. The segments go when the upload is
//! finished or discarded. A segment that could not be put costs only a longer
//! resume on another process, never a wrong byte: the whole photo is checked
//! against its capture SHA-256 at the end.
//!
//! # A request's body, and the offset
//! [`Uploads::receive_body`] is what one tus request with bytes does (a PATCH,
//! or a creation with upload), between the HTTP layer's checks and its answer:
//! become the upload's one writer, take the body in, and record the offset
//! reached — or, at the last byte, verify and store the photo and complete the
//! record in one write. [`Uploads::vouched`] keeps the recorded offset honest
//! on a process that does not hold the bytes (see there).

use crate::store::uploads::UploadRecord;
use crate::store::{now_ms, Db, StoreError};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the chunk's checksum does not match")]
    ChunkChecksum,
    #[error("the photo's SHA-256 does not match the one recorded at capture")]
    WholeChecksum,
    #[error("not a JPEG photo")]
    NotJpeg,
    /// A JPEG carrying metadata (EXIF, XMP, IPTC, a comment, a trailer).
    #[error("the photo carries metadata: {0}")]
    HasMetadata(&'static str),
    #[error("more bytes than the declared Upload-Length")]
    TooLong,
    #[error("the connection broke after {kept} bytes")]
    Interrupted { kept: u64 },
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("another request is still writing to this upload")]
    Busy,
    #[error("{0}")]
    Db(#[from] StoreError),
}

/// Run blocking database work on tokio's blocking pool, in the caller's span.
async fn on_db<T: Send + 'static>(
    db: &Arc<Db>,
    f: impl FnOnce(&Db) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, UploadError> {
    let db = db.clone();
    let span = tracing::Span::current();
    Ok(
        tokio::task::spawn_blocking(move || span.in_scope(|| f(&db)))
            .await
            .map_err(std::io::Error::other)??,
    )
}

/// Whole-photo PATCHes up to this size are received in memory.
pub const MEMORY_LIMIT: u64 = 8 * 1024 * 1024;

/// What a PATCH left behind.
pub enum Appended {
    /// The server now holds this many bytes in the part file.
    Partial(u64),
    /// The whole upload arrived in this one request, in memory, already hashed.
    Whole { bytes: Bytes, sha256: [u8; 32] },
    /// The whole upload arrived in this one request, in the part file
    /// (fsynced), already hashed.
    WholeOnDisk { sha256: [u8; 32] },
}

pub struct Uploads {
    partial_dir: PathBuf,
    /// The local object store's root, to fsync finished photos.
    local_root: Option<PathBuf>,
    store: Arc<dyn ObjectStore>,
    /// Uploads with a PATCH in progress (one writer per upload).
    busy: Arc<Mutex<HashSet<uuid::Uuid>>>,
}

/// Held while a PATCH writes to an upload; released on drop.
pub struct Busy {
    set: Arc<Mutex<HashSet<uuid::Uuid>>>,
    id: uuid::Uuid,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

/// Where the photo with this id lives in the object store.
pub fn object_key(photo_id: &str) -> ObjectPath {
    ObjectPath::from(format!("photos/{photo_id}.jpg"))
}

impl Uploads {
    pub fn new(partial_dir: PathBuf, store: Arc<dyn ObjectStore>) -> std::io::Result<Self> {
        std::fs::create_dir_all(&partial_dir)?;
        Ok(Uploads {
            partial_dir,
            local_root: None,
            store,
            busy: Arc::default(),
        })
    }

    /// Finished photos live under `root` on this machine: fsync them.
    pub fn durable_local_root(mut self, root: PathBuf) -> Self {
        self.local_root = Some(root);
        self
    }

    /// Receive a PATCH body. A whole upload from offset 0 without a chunk
    /// checksum is taken in memory; everything else goes through the part file.
    pub async fn receive<S, E>(
        &self,
        id: &uuid::Uuid,
        offset: u64,
        length: u64,
        checksum: Option<[u8; 32]>,
        mut body: S,
    ) -> Result<Appended, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        if self.local_root.is_some() || offset != 0 || checksum.is_some() || length > MEMORY_LIMIT {
            let (got, digest) = self.append(id, offset, length, checksum, body).await?;
            return Ok(if offset == 0 && got == length {
                Appended::WholeOnDisk { sha256: digest }
            } else {
                Appended::Partial(got)
            });
        }
        let mut buf = bytes::BytesMut::with_capacity(length as usize);
        let mut hasher = Sha256::new();
        let mut broken = false;
        while let Some(frame) = body.next().await {
            match frame {
                Ok(b) => {
                    if buf.len() as u64 + b.len() as u64 > length {
                        return Err(UploadError::TooLong);
                    }
                    hasher.update(&b);
                    buf.extend_from_slice(&b);
                }
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        if !broken && buf.len() as u64 == length {
            return Ok(Appended::Whole {
                bytes: buf.freeze(),
                sha256: hasher.finalize().into(),
            });
        }
        // Cut short: keep what arrived, durably, for the resume.
        let kept = buf.len() as u64;
        let (got, _) = self
            .append(
                id,
                0,
                length,
                None,
                futures_util::stream::iter([Ok::<Bytes, std::convert::Infallible>(buf.freeze())]),
            )
            .await?;
        if broken {
            Err(UploadError::Interrupted { kept })
        } else {
            Ok(Appended::Partial(got))
        }
    }

    /// Verify a whole upload received in memory and store it.
    pub async fn finish_whole(
        &self,
        id: &uuid::Uuid,
        photo_id: &str,
        sha256_hex: &str,
        bytes: Bytes,
        sha256: [u8; 32],
    ) -> Result<(), UploadError> {
        if hex::encode(sha256) != sha256_hex {
            self.discard(id).await;
            return Err(UploadError::WholeChecksum);
        }
        let bytes = self.check_rendition(id, bytes).await?;
        self.store_photo(id, photo_id, bytes).await
    }

    /// Is `bytes` a photo as capture's renditions are (module docs)? On
    /// refusal the part file goes.
    async fn check_rendition(&self, id: &uuid::Uuid, bytes: Bytes) -> Result<Bytes, UploadError> {
        let checked = bytes.clone();
        let verdict =
            tokio::task::spawn_blocking(move || minqing_capture::check_rendition(&checked))
                .await
                .map_err(std::io::Error::other)?;
        match verdict {
            Ok(_) => Ok(bytes),
            Err(e) => {
                self.discard(id).await;
                Err(match e {
                    minqing_capture::RenditionError::Metadata(what) => {
                        UploadError::HasMetadata(what)
                    }
                    _ => UploadError::NotJpeg,
                })
            }
        }
    }

    /// Move a verified, fsynced part file into the local store's directory and
    /// make the new name durable. `false` when there is no local store or it is
    /// on another file system (the caller then puts the bytes).
    async fn rename_into_store(&self, id: &uuid::Uuid, photo_id: &str) -> std::io::Result<bool> {
        let Some(root) = &self.local_root else {
            return Ok(false);
        };
        let path = root.join(object_key(photo_id).as_ref());
        let Some(dir) = path.parent() else {
            return Ok(false);
        };
        tokio::fs::create_dir_all(dir).await?;
        if let Err(e) = tokio::fs::rename(self.part(id), &path).await {
            if e.kind() == std::io::ErrorKind::CrossesDevices {
                return Ok(false);
            }
            return Err(e);
        }
        tokio::fs::File::open(dir).await?.sync_all().await?;
        Ok(true)
    }

    async fn store_photo(
        &self,
        id: &uuid::Uuid,
        photo_id: &str,
        bytes: Bytes,
    ) -> Result<(), UploadError> {
        let key = object_key(photo_id);
        self.store.put(&key, PutPayload::from(bytes)).await?;
        if let Some(root) = &self.local_root {
            let path = root.join(key.as_ref());
            tokio::fs::File::open(&path).await?.sync_all().await?;
            if let Some(dir) = path.parent() {
                tokio::fs::File::open(dir).await?.sync_all().await?;
            }
        }
        self.discard(id).await;
        Ok(())
    }

    /// Become the one writer of upload `id`, unless another PATCH is.
    pub fn claim(&self, id: uuid::Uuid) -> Option<Busy> {
        let mut set = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(id).then(|| Busy {
            set: self.busy.clone(),
            id,
        })
    }

    /// Wait (up to `limit`) until no request is writing to upload `id`, so
    /// that an offset read next includes what that request kept. A client that
    /// lost its connection asks where the server stands at once, sometimes
    /// before the server has noticed the cut.
    pub async fn settled(&self, id: uuid::Uuid, limit: std::time::Duration) {
        let until = tokio::time::Instant::now() + limit;
        while self
            .busy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&id)
            && tokio::time::Instant::now() < until
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// How many bytes of unfinished upload `id` this process holds (its part
    /// file's length; 0 when there is none).
    pub async fn held(&self, id: &uuid::Uuid) -> u64 {
        tokio::fs::metadata(self.part(id))
            .await
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// `id` must already be validated as a UUID by the caller (no path tricks).
    fn part(&self, id: &uuid::Uuid) -> PathBuf {
        self.partial_dir.join(format!("{id}.part"))
    }

    /// Append a PATCH body at `offset` (the record's). Returns the new offset
    /// and the SHA-256 of the bytes this request wrote. With `checksum`, the
    /// chunk is kept only whole and matching.
    pub async fn append<S, E>(
        &self,
        id: &uuid::Uuid,
        offset: u64,
        length: u64,
        checksum: Option<[u8; 32]>,
        mut body: S,
    ) -> Result<(u64, [u8; 32]), UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let path = self.part(id);
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .await?;
        // Bytes past the recorded offset were never vouched for: cut them.
        file.set_len(offset).await?;
        file.seek(std::io::SeekFrom::Start(offset)).await?;
        let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, file);
        // The frames are kept (shared, not copied) and hashed while the disk
        // syncs: the CPU work overlaps the wait for the disk.
        let mut frames = Vec::new();
        let mut written = 0u64;
        let mut broken = false;
        let mut too_long = false;
        while let Some(frame) = body.next().await {
            match frame {
                Ok(bytes) => {
                    if offset + written + bytes.len() as u64 > length {
                        too_long = true;
                        break;
                    }
                    file.write_all(&bytes).await?;
                    written += bytes.len() as u64;
                    frames.push(bytes);
                }
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        file.flush().await?;
        let file = file.into_inner();
        let hashing = tokio::task::spawn_blocking(move || {
            let mut hasher = Sha256::new();
            for f in &frames {
                hasher.update(f);
            }
            <[u8; 32]>::from(hasher.finalize())
        });
        let synced = file.sync_all().await;
        let digest = hashing.await.map_err(std::io::Error::other)?;
        synced?;
        let keep = if too_long {
            0
        } else if let Some(expected) = checksum {
            if broken || digest != expected {
                0
            } else {
                written
            }
        } else {
            written
        };
        if keep < written {
            file.set_len(offset + keep).await?;
            file.sync_all().await?;
        }
        if too_long {
            return Err(UploadError::TooLong);
        }
        if checksum.is_some() && keep == 0 && written > 0 && !broken {
            return Err(UploadError::ChunkChecksum);
        }
        if broken {
            return Err(UploadError::Interrupted { kept: keep });
        }
        Ok((offset + keep, digest))
    }

    /// The upload is complete in its part file: verify it and move it into the
    /// object store. `digest` is the whole file's SHA-256 when the request
    /// that brought it computed it already; otherwise the file is read and hashed.
    pub async fn finish(
        &self,
        id: &uuid::Uuid,
        photo_id: &str,
        sha256_hex: &str,
        digest: Option<[u8; 32]>,
    ) -> Result<(), UploadError> {
        let path = self.part(id);
        // Read back (at most the photo limit, from the page cache) for the
        // checks; on the local store the file itself is then renamed.
        let bytes = Bytes::from(tokio::fs::read(&path).await?);
        let digest = digest.unwrap_or_else(|| Sha256::digest(&bytes).into());
        if hex::encode(digest) != sha256_hex {
            self.discard(id).await;
            return Err(UploadError::WholeChecksum);
        }
        let bytes = self.check_rendition(id, bytes).await?;
        if self.rename_into_store(id, photo_id).await? {
            return Ok(());
        }
        self.store_photo(id, photo_id, bytes).await
    }

    /// `rec` with an offset this process can vouch for. Unfinished bytes live
    /// in this process's part file; an upload begun on another server process
    /// is rebuilt from the segments that process shared (module docs). What
    /// neither holds is asked for again: the upload goes on from what is here
    /// (from 0 when nothing is), and the record says so before anyone relies
    /// on it.
    pub async fn vouched(
        &self,
        db: &Arc<Db>,
        uid: uuid::Uuid,
        mut rec: UploadRecord,
    ) -> Result<UploadRecord, UploadError> {
        if rec.completed || rec.offset == 0 {
            return Ok(rec);
        }
        let mut held = self.held(&uid).await;
        if held < rec.offset {
            held = match self.rebuild_from_segments(&uid, rec.offset).await {
                Ok(n) => n.max(held),
                Err(e) => {
                    tracing::warn!(upload = %uid, error = %e, "shared segments unreadable");
                    held
                }
            };
        }
        if held < rec.offset {
            tracing::warn!(upload = %uid, recorded = rec.offset, held, "upload bytes not here; going on from what is");
            let key = rec.id.clone();
            on_db(db, move |db| db.set_upload_offset(&key, held)).await?;
            rec.offset = held;
        }
        Ok(rec)
    }

    /// Take a request body into upload `rec` (already checked by the caller:
    /// the caller's, live, unfinished, at the offset the client claimed) and
    /// record where it got to. Returns the record as it now stands: its new
    /// offset, and `completed` when this body brought the last byte and the
    /// photo was verified and stored. Errors: [`UploadError::Busy`] (another
    /// request is writing to it), `Interrupted` (the body broke off; what it
    /// kept is recorded), `ChunkChecksum`, `TooLong` (nothing kept),
    /// `WholeChecksum` and `NotJpeg` (the upload is deleted, bytes and record),
    /// anything else transient.
    pub async fn receive_body<S, E>(
        &self,
        db: &Arc<Db>,
        uid: uuid::Uuid,
        mut rec: UploadRecord,
        checksum: Option<[u8; 32]>,
        body: S,
    ) -> Result<UploadRecord, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let Some(_busy) = self.claim(uid) else {
            return Err(UploadError::Busy);
        };
        let key = rec.id.clone();
        let started_at = rec.offset;
        let (new_offset, whole) = match self
            .receive(&uid, rec.offset, rec.length, checksum, body)
            .await
        {
            Ok(Appended::Partial(n)) => {
                self.share_segment(&uid, started_at, n).await;
                (n, None)
            }
            Ok(Appended::Whole { bytes, sha256 }) => {
                (rec.length, Some(Whole::Memory(bytes, sha256)))
            }
            Ok(Appended::WholeOnDisk { sha256 }) => (rec.length, Some(Whole::Disk(sha256))),
            Err(UploadError::Interrupted { kept }) => {
                let offset = rec.offset + kept;
                self.share_segment(&uid, started_at, offset).await;
                let _ = on_db(db, move |db| db.set_upload_offset(&key, offset)).await;
                return Err(UploadError::Interrupted { kept });
            }
            Err(e) => return Err(e),
        };
        if new_offset < rec.length {
            on_db(db, move |db| db.set_upload_offset(&key, new_offset)).await?;
            rec.offset = new_offset;
            return Ok(rec);
        }
        let finished = match whole {
            Some(Whole::Memory(bytes, sha256)) => {
                self.finish_whole(&uid, &rec.photo_id, &rec.sha256, bytes, sha256)
                    .await
            }
            Some(Whole::Disk(sha256)) => {
                self.finish(&uid, &rec.photo_id, &rec.sha256, Some(sha256))
                    .await
            }
            None => self.finish(&uid, &rec.photo_id, &rec.sha256, None).await,
        };
        if let Err(e) = finished {
            if matches!(
                e,
                UploadError::WholeChecksum | UploadError::NotJpeg | UploadError::HasMetadata(_)
            ) {
                self.forget_segments(&uid).await;
                let _ = on_db(db, move |db| db.delete_upload(&key)).await;
            }
            return Err(e);
        }
        // Offset and completion in one write.
        on_db(db, move |db| db.complete_upload(&key, now_ms())).await?;
        if started_at > 0 {
            // A resumed upload may have left segments (a whole photo in one
            // request from 0 never does).
            self.forget_segments(&uid).await;
        }
        rec.offset = new_offset;
        rec.completed = true;
        Ok(rec)
    }

    /// Forget an unfinished upload's bytes (this process's part file).
    pub async fn discard(&self, id: &uuid::Uuid) {
        let _ = tokio::fs::remove_file(self.part(id)).await;
    }

    /// Forget an upload's bytes everywhere: the part file and the segments
    /// shared with other processes (an upload deleted, refused or expired).
    pub async fn discard_everywhere(&self, id: &uuid::Uuid) {
        self.discard(id).await;
        self.forget_segments(id).await;
    }

    fn segment_prefix(id: &uuid::Uuid) -> ObjectPath {
        ObjectPath::from(format!("uploads/{id}"))
    }

    /// Put bytes `[from, to)` of the part file in the shared store as a
    /// segment. Best effort: a failure only makes a resume elsewhere longer.
    async fn share_segment(&self, id: &uuid::Uuid, from: u64, to: u64) {
        if to <= from {
            return;
        }
        let result = async {
            let mut f = tokio::fs::File::open(self.part(id)).await?;
            f.seek(std::io::SeekFrom::Start(from)).await?;
            let mut buf = vec![0u8; (to - from) as usize];
            f.read_exact(&mut buf).await?;
            let key = ObjectPath::from(format!("uploads/{id}/{from:020}-{to:020}"));
            self.store.put(&key, PutPayload::from(buf)).await?;
            Ok::<_, UploadError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(upload = %id, from, to, error = %e, "segment not shared; a resume elsewhere starts earlier");
        }
    }

    /// The shared segments of upload `id`, as `(from, to, key)`, by `from`.
    async fn segments(&self, id: &uuid::Uuid) -> Result<Vec<(u64, u64, ObjectPath)>, UploadError> {
        let prefix = Self::segment_prefix(id);
        let mut listed = self.store.list(Some(&prefix));
        let mut out = Vec::new();
        while let Some(meta) = listed.next().await {
            let meta = meta?;
            let name = meta.location.filename().unwrap_or_default();
            let Some((a, b)) = name.split_once('-') else {
                continue;
            };
            if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                out.push((a, b, meta.location.clone()));
            }
        }
        out.sort_by_key(|(a, b, _)| (*a, *b));
        Ok(out)
    }

    /// Write this process's part file anew from the shared segments that run
    /// contiguously from byte 0, up to `limit` bytes; returns its length.
    async fn rebuild_from_segments(&self, id: &uuid::Uuid, limit: u64) -> Result<u64, UploadError> {
        let segments = self.segments(id).await?;
        let mut parts = Vec::new();
        let mut end = 0u64;
        for (from, to, key) in segments {
            if from > end || to <= end {
                if from > end {
                    break;
                }
                continue;
            }
            let bytes = self.store.get(&key).await?.bytes().await?;
            if bytes.len() as u64 != to - from {
                break;
            }
            // Overlaps (a range sent twice) are cut to what is new.
            let skip = (end - from) as usize;
            let take = (to.min(limit) - end) as usize;
            parts.push(bytes.slice(skip..skip + take));
            end = to.min(limit);
            if end >= limit {
                break;
            }
        }
        if end == 0 {
            return Ok(0);
        }
        let mut file = tokio::fs::File::create(self.part(id)).await?;
        for p in &parts {
            file.write_all(p).await?;
        }
        file.sync_all().await?;
        tracing::info!(upload = %id, bytes = end, "part file rebuilt from shared segments");
        Ok(end)
    }

    /// Delete upload `id`'s shared segments, if any.
    async fn forget_segments(&self, id: &uuid::Uuid) {
        match self.segments(id).await {
            Ok(segments) => {
                for (_, _, key) in segments {
                    let _ = self.store.delete(&key).await;
                }
            }
            Err(e) => tracing::warn!(upload = %id, error = %e, "segments not listed for deletion"),
        }
    }

    /// Remove unfinished uploads past their expiry, and finished ones nobody
    /// attached to their ticket within `unattached_ttl_ms` (module docs):
    /// bytes and record. Returns how many of each went.
    pub async fn sweep(&self, db: &Arc<Db>, now: i64, unattached_ttl_ms: i64) -> (usize, usize) {
        let expired = on_db(db, move |db| db.expired_uploads(now))
            .await
            .unwrap_or_default();
        let mut gone = (0, 0);
        for id in expired {
            if let Ok(uid) = uuid::Uuid::parse_str(&id) {
                self.discard_everywhere(&uid).await;
            }
            if on_db(db, move |db| db.delete_upload(&id)).await.is_ok() {
                gone.0 += 1;
            }
        }
        let cutoff = now - unattached_ttl_ms;
        let unattached = on_db(db, move |db| db.unattached_uploads(cutoff))
            .await
            .unwrap_or_default();
        for (id, photo_id) in unattached {
            // The record first: an attach applied meanwhile keeps the photo.
            if !matches!(
                on_db(db, move |db| db.delete_unattached(&id)).await,
                Ok(true)
            ) {
                continue;
            }
            match self.store.delete(&object_key(&photo_id)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => {
                    tracing::warn!(photo = %photo_id, error = %e, "unattached photo not deleted")
                }
            }
            gone.1 += 1;
        }
        if gone != (0, 0) {
            tracing::info!(expired = gone.0, unattached = gone.1, "uploads swept");
        }
        gone
    }

    pub async fn photo(&self, photo_id: &str) -> Result<Bytes, UploadError> {
        Ok(self.store.get(&object_key(photo_id)).await?.bytes().await?)
    }
}

/// A whole upload that arrived in one request, hashed on the way.
enum Whole {
    Memory(Bytes, [u8; 32]),
    Disk([u8; 32]),
}
