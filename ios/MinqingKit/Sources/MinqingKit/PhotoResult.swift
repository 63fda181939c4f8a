import Foundation

/// What the camera or the photo picker gave back: a JPEG file in the shell's
/// capture folder (EXIF kept), nothing, or a failure to show.
public enum PhotoResult: Sendable, Equatable {
    case file(URL)
    case cancelled
    case failed(AppError)
}
