package cn.minqing.app

import org.robolectric.internal.dependency.DependencyResolver
import org.robolectric.pluginapi.Sdk
import org.robolectric.plugins.DefaultSdkProvider
import java.util.TreeMap
import javax.annotation.Priority
import javax.inject.Inject

/**
 * Robolectric 4.14.1 knows SDK 35 and would load its framework jar (which
 * needs Java 21 and is not fetched here) for the default application even when
 * tests run on 34. Capping the known SDKs at 34 keeps every run on the one
 * jar in the local Maven repository.
 */
@Priority(1)
class CappedSdkProvider @Inject constructor(resolver: DependencyResolver) : DefaultSdkProvider(resolver) {
    override fun populateSdks(knownSdks: TreeMap<Int, Sdk>) {
        super.populateSdks(knownSdks)
        knownSdks.keys.filter { it > 34 }.forEach { knownSdks.remove(it) }
    }
}
