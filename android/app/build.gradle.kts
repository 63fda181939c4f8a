// The app: framework APIs only (no AndroidX), kotlinx-coroutines-android and JNA
// from Maven Central. The Rust core is built with cargo-ndk for three ABIs and
// its Kotlin bindings generated from the built library, before every build.
// Needs: Android SDK 34, the NDK (ANDROID_NDK_HOME), `cargo install cargo-ndk`,
// `rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android`.
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

val repo: File = rootProject.projectDir.parentFile
val jniOut = layout.buildDirectory.dir("generated/rust/jniLibs")
val bindingsOut = layout.buildDirectory.dir("generated/rust/kotlin")
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")

android {
    namespace = "cn.minqing.app"
    compileSdk = 34

    defaultConfig {
        applicationId = "cn.minqing.app"
        minSdk = 26
        targetSdk = 34
        versionCode = 1
        versionName = "0.1.0"
        ndk { abiFilters += abis }
    }

    sourceSets["main"].java.srcDir(bindingsOut)
    sourceSets["main"].jniLibs.srcDir(jniOut)

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }
}

dependencies {
    implementation("net.java.dev.jna:jna:5.18.1@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    // The Robolectric suite runs through android/pom.xml + android/test.sh (host
    // library, a real server); declared here so the sources compile in the IDE.
    testImplementation("junit:junit:4.13.2")
    testImplementation("org.robolectric:robolectric:4.14.1")
}

// The core for each ABI (cargo-ndk), stripped by the `mobile` profile.
val cargoNdk by tasks.registering(Exec::class) {
    workingDir = repo
    commandLine(
        listOf("cargo", "ndk") + abis.flatMap { listOf("-t", it) } +
            listOf("-o", jniOut.get().asFile.path, "build", "--profile", "mobile", "-p", "minqing-core"),
    )
}

// Kotlin bindings (package cn.minqing.core) from the built library, as bindings/generate.sh does.
val uniffiBindings by tasks.registering(Exec::class) {
    dependsOn(cargoNdk)
    workingDir = repo
    commandLine(
        "cargo", "run", "-q", "-p", "minqing-bindings", "--bin", "uniffi-bindgen", "--",
        "generate", "--library", jniOut.get().file("arm64-v8a/libminqing_core.so").asFile.path,
        "--language", "kotlin", "--out-dir", bindingsOut.get().asFile.path, "--no-format",
    )
}

tasks.named("preBuild") { dependsOn(uniffiBindings) }
