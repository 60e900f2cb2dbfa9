//! The frame of every page in a project's or an organization's area: title, breadcrumbs, the
//! area's heading and its section menu. Each page passes the header it loaded with its own
//! data (no extra query), and its section.

use leptos::prelude::*;

use crate::components::{
    breadcrumbs::Breadcrumbs,
    raw_text::PageTitle,
    section_nav::{Section, SectionNav},
};
use crate::domain::{
    org::OrgHeader,
    project::ProjectHeader,
    role::{OrgAction, ProjectAction},
};

/// The sections of a project, in menu order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectSection {
    Overview,
    Credentials,
    PushPaths,
    Repositories,
    Members,
    Tokens,
    Audit,
    Settings,
}

impl ProjectSection {
    const ALL: [Self; 8] = [
        Self::Overview,
        Self::Credentials,
        Self::PushPaths,
        Self::Repositories,
        Self::Members,
        Self::Tokens,
        Self::Audit,
        Self::Settings,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::Credentials => "Credentials",
            Self::PushPaths => "Push paths",
            Self::Repositories => "Repositories",
            Self::Members => "Members",
            Self::Tokens => "Tokens",
            Self::Audit => "Audit log",
            Self::Settings => "Settings",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Overview => "",
            Self::Credentials => "/credentials",
            Self::PushPaths => "/push-paths",
            Self::Repositories => "/repositories",
            Self::Members => "/members",
            Self::Tokens => "/tokens",
            Self::Audit => "/audit",
            Self::Settings => "/settings",
        }
    }

    /// Whether the caller's role shows this section (the server checks regardless).
    fn shown(self, p: &ProjectHeader) -> bool {
        match self {
            Self::Tokens | Self::Audit | Self::Settings => {
                p.my_role.allows(ProjectAction::Administer)
            }
            _ => true,
        }
    }
}

/// A project page: `children` is the section's content, under its own `<h2>`.
#[component]
pub fn ProjectArea(
    project: ProjectHeader,
    section: ProjectSection,
    /// A page under the section (the credentials' import), named first in the title.
    #[prop(optional)]
    page: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let full = format!("{}/{}", project.owner, project.name);
    let base = format!("/projects/{full}");
    let title = match (page, section) {
        (Some(page), s) => format!("{page} · {} · {full}", s.label()),
        (None, ProjectSection::Overview) => full.clone(),
        (None, s) => format!("{} · {full}", s.label()),
    };
    let owner_link = project
        .owner_is_org
        .then(|| format!("/orgs/{}", project.owner));
    let sections = ProjectSection::ALL
        .into_iter()
        .filter(|s| s.shown(&project))
        .map(|s| Section {
            label: s.label(),
            href: format!("{base}{}", s.path()),
        })
        .collect();
    view! {
        <PageTitle text=title />
        <Breadcrumbs trail=vec![
            ("Home".into(), Some("/".into())),
            ("Projects".into(), Some("/projects".into())),
            (project.owner.clone(), owner_link),
            (project.name.clone(), Some(base.clone())),
            (section.label().into(), None),
        ] />
        <h1 class="mt-2 text-2xl font-semibold">{full}</h1>
        <SectionNav label="Project" sections current=section.label() />
        {children()}
    }
}

/// The sections of an organization, in menu order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgSection {
    Projects,
    Members,
    Regions,
    Audit,
    Settings,
}

impl OrgSection {
    const ALL: [Self; 5] = [
        Self::Projects,
        Self::Members,
        Self::Regions,
        Self::Audit,
        Self::Settings,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Projects => "Projects",
            Self::Members => "Members",
            Self::Regions => "Regions",
            Self::Audit => "Audit log",
            Self::Settings => "Settings",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Projects => "",
            Self::Members => "/members",
            Self::Regions => "/regions",
            Self::Audit => "/audit",
            Self::Settings => "/settings",
        }
    }

    /// Whether the caller's role shows this section (the server checks regardless).
    fn shown(self, org: &OrgHeader) -> bool {
        match self {
            Self::Audit => org.my_role.allows(OrgAction::ManageMembers),
            Self::Settings => org.my_role.allows(OrgAction::ManageProjects),
            _ => true,
        }
    }
}

/// An organization page: `children` is the section's content, under its own `<h2>`.
#[component]
pub fn OrgArea(org: OrgHeader, section: OrgSection, children: Children) -> impl IntoView {
    let base = format!("/orgs/{}", org.name);
    let title = match section {
        OrgSection::Projects => org.display_name.clone(),
        s => format!("{} · {}", s.label(), org.display_name),
    };
    let sections = OrgSection::ALL
        .into_iter()
        .filter(|s| s.shown(&org))
        .map(|s| Section {
            label: s.label(),
            href: format!("{base}{}", s.path()),
        })
        .collect();
    view! {
        <PageTitle text=title />
        <Breadcrumbs trail=vec![
            ("Home".into(), Some("/".into())),
            (org.name.clone(), Some(base.clone())),
            (section.label().into(), None),
        ] />
        <h1 class="mt-2 text-2xl font-semibold">{org.display_name.clone()}</h1>
        <p class="text-sm text-slate-600 dark:text-slate-400">
            "@" {org.name.clone()} " · your role: " {org.my_role.as_str()}
        </p>
        <SectionNav label="Organization" sections current=section.label() />
        {children()}
    }
}
