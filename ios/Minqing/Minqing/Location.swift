import CoreLocation
import MinqingKit

/// One location fix for the report screen, with its accuracy. CoreLocation
/// gives WGS-84 (also in China), which is what the core keeps; maps in China
/// show GCJ-02, which the core converts for display. Refused or unavailable:
/// the report view model asks for the place by hand.
@MainActor
final class LocationFix: NSObject, CLLocationManagerDelegate {
    private let manager = CLLocationManager()
    private weak var report: ReportViewModel?

    func start(for report: ReportViewModel) {
        self.report = report
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
        switch manager.authorizationStatus {
        case .notDetermined:
            manager.requestWhenInUseAuthorization() // answered in locationManagerDidChangeAuthorization
        case .denied, .restricted:
            report.locationRefused()
        default:
            report.locationStarted()
            manager.requestLocation()
        }
    }

    nonisolated func locationManagerDidChangeAuthorization(_ m: CLLocationManager) {
        let status = m.authorizationStatus
        Task { @MainActor in
            guard let report else { return }
            switch status {
            case .authorizedWhenInUse, .authorizedAlways:
                report.locationStarted()
                manager.requestLocation()
            case .denied, .restricted:
                report.locationRefused()
            default: break
            }
        }
    }

    nonisolated func locationManager(_ m: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let fix = locations.last else { return }
        let (lat, lon) = (fix.coordinate.latitude, fix.coordinate.longitude)
        let accuracy = fix.horizontalAccuracy >= 0 ? fix.horizontalAccuracy : nil
        Task { @MainActor in await report?.locationFix(latitude: lat, longitude: lon, accuracy: accuracy) }
    }

    nonisolated func locationManager(_ m: CLLocationManager, didFailWithError error: Error) {
        Task { @MainActor in report?.locationRefused() }
    }

    /// Look for a fix without a report screen (the camera's photos carry it).
    func warmUp() {
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
        if manager.authorizationStatus == .notDetermined { manager.requestWhenInUseAuthorization() }
        manager.requestLocation()
    }

    /// The last fix (the camera's photos carry it in their EXIF).
    var last: CLLocation? { manager.location }
}
