-- Issue 16: the skills audit. The school's own question set in categories (numeric 1-5 or
-- N/A, and free text), each person's dated answers (every change a new row, so history is
-- kept; reports read the latest answer per question per person). Dates are calendar days
-- in the school's zone ('YYYY-MM-DD'), times UTC ISO 8601.

CREATE TABLE skill_categories (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE skill_questions (
    id          INTEGER PRIMARY KEY,
    category_id INTEGER NOT NULL REFERENCES skill_categories(id),
    kind        TEXT NOT NULL CHECK (kind IN ('score', 'text')),
    wording     TEXT NOT NULL,
    low_means   TEXT NOT NULL DEFAULT '',   -- what a 1 means (score questions)
    high_means  TEXT NOT NULL DEFAULT '',   -- what a 5 means
    sort_order  INTEGER NOT NULL DEFAULT 0,
    retired_on  TEXT                        -- retired: no longer asked, answers kept
);
CREATE INDEX skill_questions_order ON skill_questions(category_id, sort_order, id);

CREATE TABLE skill_answers (
    id             INTEGER PRIMARY KEY,
    question_id    INTEGER NOT NULL REFERENCES skill_questions(id),
    user_id        INTEGER NOT NULL REFERENCES users(id),
    score          INTEGER CHECK (score BETWEEN 1 AND 5),
    not_applicable INTEGER NOT NULL DEFAULT 0 CHECK (not_applicable IN (0, 1)),
    answer_text    TEXT NOT NULL DEFAULT '',
    answered_on    TEXT NOT NULL,
    answered_at    TEXT NOT NULL,
    entered_by     INTEGER REFERENCES users(id),  -- not user_id: a Manager on their behalf
    CHECK (score IS NULL OR not_applicable = 0)
);
CREATE INDEX skill_answers_latest ON skill_answers(user_id, question_id, id);
CREATE INDEX skill_answers_question ON skill_answers(question_id, id);

-- GVO's default question set, written for GVO: the six features of the DfE's "A competency
-- framework for governance" (January 2017), then the knowledge a board needs, then free
-- text. A school edits, reorders and retires them as it likes.
INSERT INTO skill_categories(id, name, sort_order) VALUES
    (1, 'Strategic leadership', 1), (2, 'Accountability', 2), (3, 'People', 3),
    (4, 'Structures', 4), (5, 'Compliance', 5), (6, 'Evaluation', 6),
    (7, 'Finance', 7), (8, 'Safeguarding', 8), (9, 'Education and the curriculum', 9),
    (10, 'Staffing and HR', 10), (11, 'Premises and health and safety', 11),
    (12, 'Special educational needs and disabilities', 12), (13, 'Data', 13),
    (14, 'About you', 14);

INSERT INTO skill_questions(category_id, kind, wording, low_means, high_means, sort_order) VALUES
    (1, 'score', 'Helping to set a long-term direction and priorities for the school',
     'New to this', 'I could lead the board''s work on it', 1),
    (1, 'score', 'Turning a vision into a plan with measurable steps',
     'New to this', 'I do this often, at work or elsewhere', 2),
    (1, 'score', 'Thinking about risks and how to reduce them',
     'New to this', 'I manage risk as part of my work', 3),
    (2, 'score', 'Asking leaders questions that test what they report',
     'I would find this hard', 'I do this confidently', 1),
    (2, 'score', 'Linking the school''s spending to what pupils achieve',
     'New to this', 'I could explain it to others', 2),
    (2, 'score', 'Reporting to parents and the community on the school''s work',
     'New to this', 'I have done this before', 3),
    (3, 'score', 'Working as part of a team where views differ',
     'I would need support', 'I help teams reach decisions', 1),
    (3, 'score', 'Building good relations with staff, parents and the wider community',
     'New to this', 'I do this regularly', 2),
    (3, 'score', 'Supporting and, when needed, challenging the headteacher',
     'I would need support', 'I am confident doing this', 3),
    (4, 'score', 'Understanding how the board, its committees and the headteacher share the work',
     'New to this', 'I could explain it to a new governor', 1),
    (4, 'score', 'Knowing which decisions the board keeps and which it delegates',
     'New to this', 'I know this well', 2),
    (5, 'score', 'Knowing the board''s legal duties and where to find guidance on them',
     'New to this', 'I could advise the board', 1),
    (5, 'score', 'Reading and reviewing school policies against the law',
     'New to this', 'I do this as part of my work', 2),
    (6, 'score', 'Reviewing how well the board itself works',
     'New to this', 'I have led such a review', 1),
    (6, 'score', 'Using evidence to judge whether an initiative worked',
     'New to this', 'I do this often', 2),
    (7, 'score', 'Reading a budget and a financial report',
     'I find these hard to read', 'I work with them professionally', 1),
    (7, 'score', 'Judging value for money in spending and contracts',
     'New to this', 'I do this as part of my work', 2),
    (8, 'score', 'Understanding the board''s safeguarding duties',
     'New to this', 'I could act as safeguarding link governor', 1),
    (8, 'score', 'Checking that safer recruitment and other safeguarding practice is followed',
     'New to this', 'I have experience of doing this', 2),
    (9, 'score', 'Understanding how the curriculum is planned and taught',
     'New to this', 'I work in education', 1),
    (9, 'score', 'Understanding assessment and how pupils'' progress is measured',
     'New to this', 'I could explain it to others', 2),
    (10, 'score', 'Knowledge of employment practice: recruitment, pay, performance and conduct',
     'New to this', 'I work in HR or manage staff', 1),
    (10, 'score', 'Sitting on a panel for a staff hearing or appeal',
     'I have not done this', 'I have done this many times', 2),
    (11, 'score', 'Understanding building maintenance, premises planning and contracts',
     'New to this', 'I work with buildings or estates', 1),
    (11, 'score', 'Knowledge of health and safety law and risk assessment',
     'New to this', 'I am trained or qualified in it', 2),
    (12, 'score', 'Understanding how the school supports pupils with SEND',
     'New to this', 'I have professional or close personal experience', 1),
    (12, 'score', 'Knowing the school''s duties under the SEND code of practice',
     'New to this', 'I could advise the board', 2),
    (13, 'score', 'Reading and questioning performance data about pupils',
     'New to this', 'I analyse data as part of my work', 1),
    (13, 'score', 'Understanding data protection and how the school keeps information safe',
     'New to this', 'I work in data protection or IT', 2),
    (14, 'text', 'What skills or experience from outside governance do you bring to the board?',
     '', '', 1),
    (14, 'text', 'What training or support would help you most in the coming year?', '', '', 2);
