// The report screen: a thin adapter from the core's API to Compose state.
// All decisions (validation, labels, sync badges) come from minqing-core.
package cn.minqing.app

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import cn.minqing.core.DraftView
import cn.minqing.core.LocationInput
import cn.minqing.core.Minqing
import cn.minqing.core.MinqingException
import cn.minqing.core.OutboxEntry
import cn.minqing.core.QueueListener
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.launch

class ReportViewModel(private val core: Minqing) : ViewModel() {
    val draft = MutableStateFlow<DraftView?>(null)
    val queue = MutableStateFlow<List<OutboxEntry>>(emptyList())
    val error = MutableStateFlow<String?>(null)

    private val subscription = core.subscribeQueue(object : QueueListener {
        override fun onQueueChanged(entries: List<OutboxEntry>) { queue.value = entries }
    })

    fun start() { draft.value = core.createDraft() }

    fun setText(text: String) = draft.value?.let { core.setDraftText(it.id, text); refresh() }

    fun onLocation(lat: Double, lon: Double, accuracy: Double) = draft.value?.let {
        core.setDraftLocation(it.id, LocationInput(lat, lon, accuracy, true, null)); refresh()
    }

    /** The camera wrote a JPEG (the iOS shell converts HEIC; Android writes JPEG). */
    fun onPhoto(path: String) = draft.value?.let { d ->
        viewModelScope.launch {
            try { draft.value = core.addPhoto(d.id, path) } catch (e: MinqingException) { error.value = e.message }
        }
    }

    /** 完成 */
    fun submit() = draft.value?.let { core.submit(it.id); draft.value = null }

    private fun refresh() { draft.value = draft.value?.let { core.getDraft(it.id) } }

    override fun onCleared() { subscription.close() }
}
