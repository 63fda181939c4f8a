import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { session, type Role } from './api'

// Who each page is for. The server answers a page URL with the same rule
// (403/404 before the app starts); the app hides what a role cannot use.
export const supervises = (r: Role) => ['coordinator', 'town_staff', 'city_staff'].includes(r)

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./views/Login.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./views/Layout.vue'),
    children: [
      { path: '', redirect: '/board' },
      { path: 'board', component: () => import('./views/Board.vue'), meta: { title: 'nav.board' } },
      { path: 'items', component: () => import('./views/Items.vue'), meta: { title: 'nav.items' } },
      { path: 'items/:id', component: () => import('./views/ItemDetail.vue'), meta: { title: 'nav.items' } },
      { path: 'review', redirect: () => (session.me?.role === 'city_staff' ? '/review/city' : session.me?.role === 'town_staff' ? '/review/town' : '/review/weekly') },
      { path: 'review/town', component: () => import('./views/ReviewQueue.vue'), props: { level: 'town' }, meta: { title: 'nav.town', roles: ['town_staff'] } },
      { path: 'review/city', component: () => import('./views/ReviewQueue.vue'), props: { level: 'city' }, meta: { title: 'nav.city', roles: ['city_staff'] } },
      { path: 'review/assignments', component: () => import('./views/Assignments.vue'), meta: { title: 'nav.assignments', roles: ['city_staff'] } },
      { path: 'review/weekly', component: () => import('./views/Weekly.vue'), meta: { title: 'nav.weekly', roles: ['coordinator', 'town_staff', 'city_staff'] } },
      { path: 'report', component: () => import('./views/Report.vue'), meta: { title: 'nav.report' } },
      { path: 'admin', redirect: '/admin/units' },
      { path: 'admin/units', component: () => import('./views/AdminUnits.vue'), meta: { title: 'nav.units', roles: ['admin'] } },
      { path: 'admin/groups', component: () => import('./views/AdminGroups.vue'), meta: { title: 'nav.groups', roles: ['admin'] } },
      { path: 'admin/people', component: () => import('./views/AdminPeople.vue'), meta: { title: 'nav.people', roles: ['admin'] } },
      { path: 'admin/jurisdictions', component: () => import('./views/AdminJurisdictions.vue'), meta: { title: 'nav.jurisdictions', roles: ['admin'] } },
      { path: 'admin/taxonomy', component: () => import('./views/AdminFile.vue'), props: { kind: 'taxonomy' }, meta: { title: 'nav.taxonomy', roles: ['admin'] } },
      { path: 'admin/routing', component: () => import('./views/AdminFile.vue'), props: { kind: 'routing' }, meta: { title: 'nav.routing', roles: ['admin'] } },
      { path: 'admin/calendar', component: () => import('./views/AdminFile.vue'), props: { kind: 'calendar' }, meta: { title: 'nav.calendar', roles: ['admin'] } },
      { path: 'forbidden', component: () => import('./views/ErrorPage.vue'), props: { kind: 'forbidden' } },
      { path: ':rest(.*)*', component: () => import('./views/ErrorPage.vue'), props: { kind: 'notFound' } },
    ],
  },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach((to) => {
  if (to.meta.public) return true
  if (!session.me) return { path: '/login', query: { next: to.fullPath } }
  const roles = to.meta.roles as Role[] | undefined
  if (roles && !roles.includes(session.me.role)) {
    return { path: '/forbidden', query: { from: to.fullPath } }
  }
  return true
})
