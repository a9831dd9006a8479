import type { Metadata } from 'next'
import { Dashboard } from '@/components/dashboard/dashboard'

export const metadata: Metadata = { title: 'Dashboard' }

export default function DashboardPage() {
  return (
    <>
      <div className="page-head">
        <h1>Train a model</h1>
        <p>Upload a CSV or a zip of images, choose what to predict, and Nimble trains the model across the volunteers’ browsers.</p>
      </div>
      <Dashboard />
    </>
  )
}
