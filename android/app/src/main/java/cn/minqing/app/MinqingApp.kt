package cn.minqing.app

import android.app.Activity
import android.app.Application
import android.os.Bundle

/**
 * The process: opens this phone's [Shell] at start (sync starts with it) and
 * tells the core whether the app is in the foreground (the live stream runs
 * only then).
 */
open class MinqingApp : Application() {
    private var current: Shell? = null
    private var visible = 0

    /** This phone's shell, made and started on first use. Tests switch phones by setting it. */
    var shell: Shell
        get() = current ?: newShell().also { current = it; it.start() }
        set(value) {
            current?.setForeground(false)
            current = value
            value.start()
            value.setForeground(visible > 0)
        }

    protected open fun newShell(): Shell =
        Shell(this, filesDir, KeystoreKeys(java.io.File(filesDir, "store-key.wrapped")))

    override fun onCreate() {
        super.onCreate()
        shell // sync on start
        registerActivityLifecycleCallbacks(object : ActivityLifecycleCallbacks {
            override fun onActivityStarted(a: Activity) {
                if (visible++ == 0) shell.setForeground(true)
            }

            override fun onActivityStopped(a: Activity) {
                if (--visible == 0) shell.setForeground(false)
            }

            override fun onActivityCreated(a: Activity, b: Bundle?) {}
            override fun onActivityResumed(a: Activity) {}
            override fun onActivityPaused(a: Activity) {}
            override fun onActivitySaveInstanceState(a: Activity, b: Bundle) {}
            override fun onActivityDestroyed(a: Activity) {}
        })
    }
}
