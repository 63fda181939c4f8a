package cn.minqing.app

import android.content.Intent
import android.os.Bundle
import android.widget.RadioButton
import android.widget.RadioGroup
import cn.minqing.core.Lang

/** Settings: who is logged in, the language (中文 / English), log out. */
class SettingsActivity : Screen() {
    lateinit var languages: RadioGroup

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        render()
    }

    private fun render() {
        val w = words
        title = w.settings
        val account = attempt { shell.core.account().current() }
        setContentView(column(16) {
            text(w.account, bold = true)
            account?.let {
                text(it.name, size = 18f)
                text(listOfNotNull(it.roleLabel, it.unitName).joinToString(" · "), colour = MUTED)
                if (it.groupNames.isNotEmpty()) text(it.groupNames.joinToString("、"), size = 13f, colour = MUTED)
            }
            attempt { shell.core.sync().server() }?.let { text(it, size = 12f, colour = MUTED) }
            gap(16)
            text(w.language, bold = true)
            languages = RadioGroup(context).apply {
                for ((id, label) in listOf(ZH to w.chinese, EN to w.english)) {
                    addView(RadioButton(context).apply { this.id = id; text = label })
                }
                check(if (shell.core.language() == Lang.EN) EN else ZH)
                setOnCheckedChangeListener { _, id -> choose(if (id == EN) Lang.EN else Lang.ZH_CN) }
            }
            addView(languages)
            gap(16)
            button(w.logout) { logout() }
        })
    }

    private fun choose(lang: Lang) {
        if (lang == shell.core.language()) return
        shell.setLanguage(lang)
        render()
    }

    private fun logout() = launch {
        shell.core.account().logout()
        shell.onLoggedOut()
        startActivity(Intent(this, LoginActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_CLEAR_TASK))
        finish()
    }

    companion object {
        const val ZH = 1
        const val EN = 2
    }
}
