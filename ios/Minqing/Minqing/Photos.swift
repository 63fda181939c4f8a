import ImageIO
import PhotosUI
import SwiftUI
import UniformTypeIdentifiers
import MinqingKit

/// Photos for the core: it reads JPEG (iPhones shoot HEIC) and takes the
/// capture time and place from the EXIF. So every photo becomes a JPEG file
/// with its metadata kept — ImageIO copies the source's properties ({Exif},
/// {GPS}, {TIFF}, orientation) into the JPEG — in the shell's capture folder.
enum PhotoFiles {
    /// A picked photo (HEIC, JPEG, …) as a JPEG file, EXIF location and time kept.
    static func jpeg(from data: Data, into shell: Shell) throws -> URL {
        guard let source = CGImageSourceCreateWithData(data as CFData, nil),
              let type = CGImageSourceGetType(source) else { throw AppError.shell("无法读取这张照片") }
        let file = shell.newCaptureFile()
        if UTType(type as String) == .jpeg {
            try data.write(to: file) // already JPEG: the bytes as they are
            return file
        }
        guard let dest = CGImageDestinationCreateWithURL(file as CFURL, UTType.jpeg.identifier as CFString, 1, nil)
        else { throw AppError.shell("无法转换这张照片") }
        var properties = CGImageSourceCopyPropertiesAtIndex(source, 0, nil) as? [CFString: Any] ?? [:]
        properties[kCGImageDestinationLossyCompressionQuality] = 0.9
        CGImageDestinationAddImageFromSource(dest, source, 0, properties as CFDictionary)
        guard CGImageDestinationFinalize(dest) else { throw AppError.shell("无法转换这张照片") }
        return file
    }

    /// The camera's picture as a JPEG file: the camera's metadata (time,
    /// orientation) plus the place from the phone's last fix, which
    /// UIImagePickerController does not record.
    static func jpeg(from image: UIImage, metadata: [String: Any], location: CLLocation?, into shell: Shell) throws -> URL {
        guard let cg = image.cgImage else { throw AppError.shell("无法读取这张照片") }
        let file = shell.newCaptureFile()
        guard let dest = CGImageDestinationCreateWithURL(file as CFURL, UTType.jpeg.identifier as CFString, 1, nil)
        else { throw AppError.shell("无法保存这张照片") }
        var properties = metadata as [CFString: Any]
        if let location { properties[kCGImagePropertyGPSDictionary] = gps(location) }
        properties[kCGImageDestinationLossyCompressionQuality] = 0.9
        CGImageDestinationAddImage(dest, cg, properties as CFDictionary)
        guard CGImageDestinationFinalize(dest) else { throw AppError.shell("无法保存这张照片") }
        return file
    }

    /// EXIF GPS from a CoreLocation fix (WGS-84; time in UTC).
    static func gps(_ l: CLLocation) -> [CFString: Any] {
        let utc = DateFormatter()
        utc.timeZone = TimeZone(identifier: "UTC")
        utc.locale = Locale(identifier: "en_US_POSIX")
        utc.dateFormat = "yyyy:MM:dd"
        let date = utc.string(from: l.timestamp)
        utc.dateFormat = "HH:mm:ss.SS"
        return [
            kCGImagePropertyGPSLatitude: abs(l.coordinate.latitude),
            kCGImagePropertyGPSLatitudeRef: l.coordinate.latitude >= 0 ? "N" : "S",
            kCGImagePropertyGPSLongitude: abs(l.coordinate.longitude),
            kCGImagePropertyGPSLongitudeRef: l.coordinate.longitude >= 0 ? "E" : "W",
            kCGImagePropertyGPSAltitude: abs(l.altitude),
            kCGImagePropertyGPSAltitudeRef: l.altitude < 0 ? 1 : 0,
            kCGImagePropertyGPSHPositioningError: l.horizontalAccuracy,
            kCGImagePropertyGPSDateStamp: date,
            kCGImagePropertyGPSTimeStamp: utc.string(from: l.timestamp),
        ]
    }
}

/// The camera (UIImagePickerController): hands back a JPEG file.
struct CameraPicker: UIViewControllerRepresentable {
    let shell: Shell
    let location: CLLocation?
    let done: (PhotoResult) -> Void

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = UIImagePickerController.isSourceTypeAvailable(.camera) ? .camera : .photoLibrary
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ vc: UIImagePickerController, context: Context) {}
    func makeCoordinator() -> Coordinator { Coordinator(self) }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let parent: CameraPicker
        init(_ parent: CameraPicker) { self.parent = parent }

        func imagePickerController(_ picker: UIImagePickerController,
                                   didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            let p = parent
            guard let image = info[.originalImage] as? UIImage else { return p.done(.cancelled) }
            let metadata = info[.mediaMetadata] as? [String: Any] ?? [:]
            p.done(PhotoResult { try PhotoFiles.jpeg(from: image, metadata: metadata, location: p.location, into: p.shell) })
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) { parent.done(.cancelled) }
    }
}

/// The photo library (PHPicker; no library permission needed): the original
/// file (HEIC as shot), converted to JPEG with its metadata.
struct LibraryPicker: UIViewControllerRepresentable {
    let shell: Shell
    let done: (PhotoResult) -> Void

    func makeUIViewController(context: Context) -> PHPickerViewController {
        var config = PHPickerConfiguration()
        config.filter = .images
        config.selectionLimit = 1
        config.preferredAssetRepresentationMode = .current // the original, metadata and all
        let picker = PHPickerViewController(configuration: config)
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ vc: PHPickerViewController, context: Context) {}
    func makeCoordinator() -> Coordinator { Coordinator(self) }

    final class Coordinator: NSObject, PHPickerViewControllerDelegate {
        let parent: LibraryPicker
        init(_ parent: LibraryPicker) { self.parent = parent }

        func picker(_ picker: PHPickerViewController, didFinishPicking results: [PHPickerResult]) {
            let p = parent
            guard let item = results.first?.itemProvider else { return p.done(.cancelled) }
            item.loadDataRepresentation(forTypeIdentifier: UTType.image.identifier) { data, error in
                Task { @MainActor in
                    guard let data else { return p.done(.failed(.shell(error?.localizedDescription ?? "无法读取这张照片"))) }
                    p.done(PhotoResult { try PhotoFiles.jpeg(from: data, into: p.shell) })
                }
            }
        }
    }
}

extension PhotoResult {
    /// The file `make` wrote, or why it could not.
    init(_ make: () throws -> URL) {
        do { self = .file(try make()) } catch { self = .failed(AppError(error)) }
    }
}
