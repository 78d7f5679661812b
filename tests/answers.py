"""A complete, valid return as a person would post it, page by page."""

FULL_RETURN = {
    "contact": {
        "contact_first_name": "Priya", "contact_surname": "Shah",
        "contact_organisation": "Northmoor County Council", "contact_job_title": "Principal Social Worker",
        "contact_telephone": "01632 960 001", "contact_email": "priya.shah@example.org",
    },
    "workforce_planning": {
        "posts": "40", "posts_unfilled": "4", "posts_agency": "3", "absence_stress": "1",
        "absence_planned": "0", "absence_maternity": "1", "absence_other": "0", "hours_per_week": "37",
        "line_management_supervision": "monthly",
        "professional_supervision": "other", "professional_supervision_other": "Every six weeks in groups",
        "cpd_attendance": "most",
        "profession_opportunities": ["student_supervision", "mentoring", "other"],
        "profession_opportunities_other": "Shadowing and secondments",
        "workforce_planning_comments": "Vacancy figures are for 31 October.",
    },
    "safe_workloads": {
        "caseload_team_member": "24", "caseload_senior_practitioner_none": "y", "caseload_team_manager": "0",
        "cancelled_meetings": "less_than_weekly", "casework_allocation": "yes", "co_working": "yes",
    },
    "risks_resources": {"digital_vision": "yes", "ict_aligned": "no", "ict_plans": "New case system in 2018."},
    "supervision": {
        "supervision_monitoring": "yes", "reflective_supervision": "peer_group", "welfare_system": "yes",
        "welfare_access": "dont_know", "stress_activities": ["physical", "mindfulness"],
        "welfare_processes": ["lone_working"], "exit_interviews": "no",
    },
    "cpd": {
        "career_pathways": ["asye", "framework"], "progression_culture": "yes",
        "supervisor_development": ["supervision_training"], "qualifications_support": "yes",
    },
    "registration": {"regulator_process": "fairly"},
    "partnerships": {"service_user_feedback": "yes", "peer_review": "dont_know"},
    "final": {"final_comments": "Thank you."},
}
