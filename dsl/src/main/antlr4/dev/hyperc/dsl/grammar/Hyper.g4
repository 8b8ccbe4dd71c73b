// The .hyper language. A file is a version line, a model name and a list of
// declarations; a model is a graph of named values built from pipelines of layers.
// Newlines carry no meaning: every declaration starts with a keyword, so the
// parser always knows where one ends.
grammar Hyper;

file
    : versionLine modelDecl decl* EOF
    ;

versionLine
    : HYPERC version=INT
    ;

modelDecl
    : MODEL name=ID
    ;

decl
    : CONST name=ID '=' expr                                   # constDecl
    | INPUT name=ID ':' type                                   # inputDecl
    | NOISE name=ID ':' type '~' call                          # noiseDecl
    | PARAM name=ID ':' type (INIT call)?                      # paramDecl
    | TARGET name=ID '(' arg=ID ':' type ')' (kw=ID packing=ID)? '=' expr   # targetDecl
    | LET pattern '=' expr                                     # letDecl
    | OUTPUT ID (',' ID)*                                      # outputDecl
    | TRAIN '{' setting* '}'                                   # trainDecl
    ;

pattern
    : ID                                                       # namePattern
    | '(' ID (',' ID)+ ')'                                     # tuplePattern
    ;

setting
    : key=ID '=' expr
    ;

type
    : dtype=ID '[' (dim (',' dim)*)? ']'
    ;

dim
    : INT
    | ID
    ;

expr
    : primary                                                  # primaryExpr
    | expr '[' sliceItem (',' sliceItem)* ']'                  # indexExpr
    | <assoc=right> expr '^' expr                              # powExpr
    | '-' expr                                                 # negExpr
    | expr op=('*' | '/') expr                                 # mulExpr
    | expr op=('+' | '-') expr                                 # addExpr
    | expr '|>' stage                                          # pipeExpr
    ;

stage
    : call
    | ID
    ;

primary
    : INT                                                      # intLit
    | FLOAT                                                    # floatLit
    | STRING                                                   # stringLit
    | call                                                     # callExpr
    | ID                                                       # nameRef
    | '(' expr ')'                                             # parenExpr
    | '(' expr (',' expr)+ ')'                                 # tupleExpr
    | '[' (expr (',' expr)*)? ']'                              # listExpr
    | SCAN elem=ID IN seq=expr WITH '(' carry (',' carry)* ')'
          '{' scanStmt* EMIT emit=expr '}'                     # scanExpr
    ;

carry
    : name=ID '=' expr
    ;

scanStmt
    : LET pattern '=' expr                                     # scanLet
    | name=ID '=' expr                                         # scanUpdate
    ;

call
    : callee=ID '(' (argument (',' argument)*)? ')'
    ;

argument
    : (name=word ':')? expr
    ;

// Argument names may be keywords: mnist(train: 8000), dense(64, init: glorot).
word
    : ID | HYPERC | MODEL | CONST | INPUT | NOISE | PARAM | INIT | TARGET | LET | OUTPUT | TRAIN | SCAN | IN | WITH | EMIT
    ;

sliceItem
    : ELLIPSIS                                                 # ellipsisItem
    | start=sliceBound? ':' end=sliceBound?                    # rangeItem
    | sliceBound                                               # pointItem
    ;

sliceBound
    : '-'? INT
    ;

HYPERC : 'hyperc';
MODEL  : 'model';
CONST  : 'const';
INPUT  : 'input';
NOISE  : 'noise';
PARAM  : 'param';
INIT   : 'init';
TARGET : 'target';
LET    : 'let';
OUTPUT : 'output';
TRAIN  : 'train';
SCAN   : 'scan';
IN     : 'in';
WITH   : 'with';
EMIT   : 'emit';

ELLIPSIS : '..';

ID     : [a-zA-Z_] [a-zA-Z_0-9]*;
FLOAT  : DIGITS '.' DIGITS EXPONENT?
       | DIGITS EXPONENT
       ;
INT    : DIGITS;
STRING : '"' (~["\\\r\n] | '\\' .)* '"';

fragment DIGITS   : [0-9] ('_'? [0-9])*;
fragment EXPONENT : [eE] [+-]? [0-9]+;

LINE_COMMENT  : ('//' | '#') ~[\r\n]* -> skip;
BLOCK_COMMENT : '/*' .*? '*/' -> skip;
WS            : [ \t\r\n]+ -> skip;

// Anything else becomes a token the parser rejects, so a stray character is a
// located syntax error rather than a lexer crash.
ERROR_CHAR : .;
