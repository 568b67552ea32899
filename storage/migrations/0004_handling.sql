-- Reserved for the handling issue (#4); filled in by that work.
SELECT 1;
