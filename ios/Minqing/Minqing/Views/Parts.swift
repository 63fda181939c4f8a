import CoreLocation
import SwiftUI
import MinqingKit

/// A photo file the core wrote (thumbnail or rendition), square.
struct Thumbnail: View {
    let path: String?
    let size: CGFloat

    var body: some View {
        Group {
            if let path, let image = UIImage(contentsOfFile: path) {
                Image(uiImage: image).resizable().scaledToFill()
            } else {
                Color.gray.opacity(0.2)
            }
        }
        .frame(width: size, height: size)
        .clipped()
    }
}

/// The core's clock colours on screen.
enum ClockColour {
    static func of(_ c: Colour?) -> Color {
        switch c {
        case .green: .green
        case .yellow: .orange
        case .red: .red
        case nil: .clear
        }
    }
}

/// Camera or library, as the user chose; the result goes to `done`.
struct PhotoSource: View {
    let shell: Shell
    let camera: Bool
    let location: CLLocation?
    let done: (PhotoResult) -> Void

    var body: some View {
        if camera {
            CameraPicker(shell: shell, location: location, done: done).ignoresSafeArea()
        } else {
            LibraryPicker(shell: shell, done: done)
        }
    }
}
