-- Reserved for the reporting issue (#3); filled in by that work.
SELECT 1;
