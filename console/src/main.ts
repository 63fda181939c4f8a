import { createApp } from 'vue'
import 'element-plus/theme-chalk/el-message.css'
import 'element-plus/theme-chalk/el-message-box.css'
import './style.css'
import App from './App.vue'
import { i18n, locale } from './i18n'
import { router } from './router'
import { loadSession, setOnSignedOut } from './api'

document.documentElement.lang = locale
setOnSignedOut(() => {
  const next = router.currentRoute.value.fullPath
  router.replace({ path: '/login', query: { next } })
})

loadSession().then(() => {
  createApp(App).use(i18n).use(router).mount('#app')
})
