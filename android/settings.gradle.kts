// The standard Android build: Android Gradle plugin from Google's Maven
// repository, everything else from Maven Central. Not buildable on the project's
// build machines (no Google Maven, no SDK/NDK); android/pom.xml builds and tests
// the same sources there. See android/README.md.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "minqing"
include(":app")
