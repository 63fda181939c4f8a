package cn.minqing.app

import android.content.Intent
import android.os.Bundle
import android.text.InputType
import android.view.View
import android.widget.Button
import android.widget.EditText
import android.widget.ScrollView

/** SMS login: the server address, the phone number, the texted code. */
class LoginActivity : Screen() {
    lateinit var serverField: EditText
    lateinit var phoneField: EditText
    lateinit var codeField: EditText
    lateinit var sendButton: Button
    lateinit var loginButton: Button

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        if (shell.loggedIn()) return home()
        title = words.appName
        val w = words
        val form = column(24) {
            text(w.appName, size = 26f, bold = true, colour = ACCENT)
            gap(16)
            text(w.server, colour = MUTED)
            serverField = EditText(context).apply {
                inputType = InputType.TYPE_TEXT_VARIATION_URI
                setText(attempt { shell.core.sync().server() } ?: "")
                hint = "https://"
            }.also { addView(it) }
            text(w.phone, colour = MUTED)
            phoneField = EditText(context).apply { inputType = InputType.TYPE_CLASS_PHONE }.also { addView(it) }
            sendButton = button(w.getCode) { sendCode() }
            gap(8)
            codeField = EditText(context).apply {
                inputType = InputType.TYPE_CLASS_NUMBER
                hint = w.code
                visibility = View.GONE
            }.also { addView(it) }
            loginButton = button(w.login) { logIn() }.apply { visibility = View.GONE }
        }
        setContentView(ScrollView(this).apply { addView(form) })
    }

    private fun sendCode() = launch {
        shell.core.sync().setServer(serverField.text.toString())
        shell.core.account().requestCode(phoneField.text.toString().trim())
        toast(words.codeSent)
        codeField.visibility = View.VISIBLE
        loginButton.visibility = View.VISIBLE
        codeField.requestFocus()
    }

    private fun logIn() = launch {
        shell.core.account().login(phoneField.text.toString().trim(), codeField.text.toString().trim())
        shell.onLoggedIn()
        home()
    }

    private fun home() {
        startActivity(Intent(this, HomeActivity::class.java))
        finish()
    }
}
